package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is what `itsgow loadgen` prints (one JSON object).
type loadResult struct {
	URL         string  `json:"url"`
	Mode        string  `json:"mode"` // max (closed loop) or rate (open loop)
	TargetRate  int     `json:"targetRate,omitempty"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	Requests    int64   `json:"requests"`
	Errors      int64   `json:"errors"`
	RPS         float64 `json:"rps"`
	P50ms       float64 `json:"p50ms"`
	P99ms       float64 `json:"p99ms"`
	MaxMs       float64 `json:"maxMs"`
}

// cmdLoadgen sends GET requests with a bearer token, bounded in time, either as fast as
// `concurrency` connections allow (rate 0) or at a fixed rate, where latency is measured from
// each request's scheduled time (no coordinated omission).
func cmdLoadgen(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	url := fs.String("url", "", "URL to GET (loopback only)")
	token := fs.String("token", "", "bearer token")
	rate := fs.Int("rate", 0, "requests per second (0: as fast as possible)")
	dur := fs.Duration("duration", 5*time.Second, "how long (at most 5m)")
	conc := fs.Int("concurrency", 16, "connections")
	warm := fs.Duration("warmup", time.Second, "warm-up before measuring")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *url == "" || *dur <= 0 || *dur > 5*time.Minute || *conc < 1 || *conc > 1024 || *rate < 0 {
		return usageError{"loadgen: --url, 0 < duration <= 5m, 1 <= concurrency <= 1024"}
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc, DisableCompression: true}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	get := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, "GET", *url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+*token)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	if *warm > 0 {
		wctx, cancel := context.WithTimeout(ctx, *warm)
		var wg sync.WaitGroup
		for range *conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for wctx.Err() == nil {
					_ = get(wctx)
				}
			}()
		}
		wg.Wait()
		cancel()
	}
	res := loadResult{URL: *url, Concurrency: *conc}
	var mu sync.Mutex
	lat := make([]time.Duration, 0, 1<<16)
	var nreq, nerr atomic.Int64
	record := func(d time.Duration, err error) {
		nreq.Add(1)
		if err != nil {
			nerr.Add(1)
		}
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
	}
	start := time.Now()
	deadline := start.Add(*dur)
	rctx, cancel := context.WithDeadline(ctx, deadline.Add(10*time.Second))
	defer cancel()
	var wg sync.WaitGroup
	if *rate == 0 {
		res.Mode = "max"
		for range *conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) && rctx.Err() == nil {
					t := time.Now()
					err := get(rctx)
					record(time.Since(t), err)
				}
			}()
		}
	} else {
		res.Mode, res.TargetRate = "rate", *rate
		due := make(chan time.Time, *rate)
		for range *conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for at := range due {
					err := get(rctx)
					record(time.Since(at), err)
				}
			}()
		}
		interval := time.Second / time.Duration(*rate)
		for i := 0; ; i++ {
			at := start.Add(time.Duration(i) * interval)
			if !at.Before(deadline) || rctx.Err() != nil {
				break
			}
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
			due <- at
		}
		close(due)
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(p * float64(len(lat)-1))
		return float64(lat[i].Microseconds()) / 1000
	}
	res.Seconds, res.Requests, res.Errors = el, nreq.Load(), nerr.Load()
	res.RPS = float64(res.Requests) / el
	res.P50ms, res.P99ms, res.MaxMs = q(0.50), q(0.99), q(1)
	b, _ := json.Marshal(res)
	_, err := fmt.Fprintln(stdout, string(b))
	return err
}
