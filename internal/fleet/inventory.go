package fleet

// Inventory is the hardware a BMC reports for one server.
type Inventory struct {
	Manufacturer string
	Model        string
	Serial       string
	BIOSVersion  string
	CPUs         []CPU
	MemoryGiB    int // installed memory, rounded to the nearest GiB
	Disks        []Disk
	NICs         []NIC
}

// CPU is one processor socket.
type CPU struct {
	Model string
	Cores int // physical cores; 0 when the BMC does not say
}

// Disk is one physical drive.
type Disk struct {
	Model  string
	Serial string
	SizeGB int64 // decimal gigabytes (10^9 bytes), as drives are sold
	Media  DiskMedia
}

// DiskMedia is the kind of drive.
type DiskMedia string

// The disk media; DiskMediaUnknown when the BMC does not say.
const (
	DiskMediaUnknown DiskMedia = ""
	DiskMediaHDD     DiskMedia = "hdd"
	DiskMediaSSD     DiskMedia = "ssd"
	DiskMediaNVMe    DiskMedia = "nvme"
)

// NIC is one network port.
type NIC struct {
	MAC       string // lowercase, colon separated: "0c:c4:7a:01:02:03"
	SpeedMbps int    // link speed; 0 when unknown or down
}
