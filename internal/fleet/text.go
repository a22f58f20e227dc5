package fleet

import (
	"strconv"
	"strings"
)

func itoa(n int) string { return strconv.Itoa(n) }

func coresText(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n) + " cores"
}

func sizeText(gb int64) string {
	if gb >= 1000 && gb%100 == 0 {
		s := strconv.FormatFloat(float64(gb)/1000, 'f', 1, 64)
		return strings.TrimSuffix(s, ".0") + " TB"
	}
	return strconv.FormatInt(gb, 10) + " GB"
}

func speedText(mbps int) string {
	switch {
	case mbps <= 0:
		return ""
	case mbps >= 1000 && mbps%1000 == 0:
		return strconv.Itoa(mbps/1000) + " Gbit/s"
	}
	return strconv.Itoa(mbps) + " Mbit/s"
}
