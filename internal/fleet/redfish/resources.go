package redfish

// The subset of Redfish resources the driver reads. Unknown properties are ignored; missing
// ones stay at their zero value, which every reader below treats as "the BMC did not say".

type odataID struct {
	ID string `json:"@odata.id"`
}

type collection struct {
	Members []odataID `json:"Members"`
}

type serviceRoot struct {
	RedfishVersion string  `json:"RedfishVersion"`
	Systems        odataID `json:"Systems"`
	Managers       odataID `json:"Managers"`
	SessionService odataID `json:"SessionService"`
	AccountService odataID `json:"AccountService"`
	Links          struct {
		Sessions odataID `json:"Sessions"`
	} `json:"Links"`
}

const defaultSessions = "/redfish/v1/SessionService/Sessions"

func (r serviceRoot) sessionsPath() string {
	if r.Links.Sessions.ID != "" {
		return r.Links.Sessions.ID
	}
	return defaultSessions
}

type status struct {
	State  string `json:"State"`
	Health string `json:"Health"`
}

func (s status) absent() bool { return s.State == "Absent" }

type resetAction struct {
	Target     string   `json:"target"`
	Allowable  []string `json:"ResetType@Redfish.AllowableValues"`
	ActionInfo string   `json:"@Redfish.ActionInfo"`
}

type boot struct {
	Target           string   `json:"BootSourceOverrideTarget"`
	Enabled          string   `json:"BootSourceOverrideEnabled"`
	AllowableTargets []string `json:"BootSourceOverrideTarget@Redfish.AllowableValues"`
	AllowableEnabled []string `json:"BootSourceOverrideEnabled@Redfish.AllowableValues"`
}

type system struct {
	ID               string `json:"Id"`
	ODataID          string `json:"@odata.id"`
	Manufacturer     string `json:"Manufacturer"`
	Model            string `json:"Model"`
	SerialNumber     string `json:"SerialNumber"`
	BiosVersion      string `json:"BiosVersion"`
	PowerState       string `json:"PowerState"`
	ProcessorSummary struct {
		Count int    `json:"Count"`
		Model string `json:"Model"`
	} `json:"ProcessorSummary"`
	MemorySummary struct {
		TotalSystemMemoryGiB float64 `json:"TotalSystemMemoryGiB"`
	} `json:"MemorySummary"`
	Boot    *boot `json:"Boot"`
	Actions struct {
		Reset resetAction `json:"#ComputerSystem.Reset"`
	} `json:"Actions"`
	Processors         odataID `json:"Processors"`
	Storage            odataID `json:"Storage"`
	EthernetInterfaces odataID `json:"EthernetInterfaces"`
	VirtualMedia       odataID `json:"VirtualMedia"`
	Links              struct {
		ManagedBy []odataID `json:"ManagedBy"`
	} `json:"Links"`
}

type actionInfo struct {
	Parameters []struct {
		Name      string   `json:"Name"`
		Allowable []string `json:"AllowableValues"`
	} `json:"Parameters"`
}

type manager struct {
	ID               string          `json:"Id"`
	ODataID          string          `json:"@odata.id"`
	VirtualMedia     odataID         `json:"VirtualMedia"`
	GraphicalConsole *consoleService `json:"GraphicalConsole"`
	SerialConsole    *consoleService `json:"SerialConsole"`
}

// consoleService is a Manager's GraphicalConsole or SerialConsole.
type consoleService struct {
	ServiceEnabled        bool     `json:"ServiceEnabled"`
	MaxConcurrentSessions int      `json:"MaxConcurrentSessions"`
	ConnectTypesSupported []string `json:"ConnectTypesSupported"`
}

type accountService struct {
	Accounts odataID `json:"Accounts"`
}

type account struct {
	ID       string `json:"Id"`
	UserName string `json:"UserName"`
	RoleID   string `json:"RoleId"`
	Enabled  bool   `json:"Enabled"`
}

type mediaAction struct {
	Target string `json:"target"`
}

type virtualMedia struct {
	ID             string   `json:"Id"`
	ODataID        string   `json:"@odata.id"`
	MediaTypes     []string `json:"MediaTypes"`
	Image          *string  `json:"Image"`
	Inserted       *bool    `json:"Inserted"`
	WriteProtected *bool    `json:"WriteProtected"`
	Actions        struct {
		Insert mediaAction `json:"#VirtualMedia.InsertMedia"`
		Eject  mediaAction `json:"#VirtualMedia.EjectMedia"`
	} `json:"Actions"`
}

// inserted reports whether an image is attached. Some BMCs omit Inserted: then a non-empty
// Image says it.
func (v virtualMedia) inserted() bool {
	if v.Inserted != nil {
		return *v.Inserted
	}
	return v.image() != ""
}

func (v virtualMedia) image() string {
	if v.Image == nil {
		return ""
	}
	return *v.Image
}

type processor struct {
	ProcessorType string `json:"ProcessorType"`
	Model         string `json:"Model"`
	Manufacturer  string `json:"Manufacturer"`
	TotalCores    int    `json:"TotalCores"`
	Status        status `json:"Status"`
}

type storage struct {
	Drives []odataID `json:"Drives"`
}

type drive struct {
	Model         string `json:"Model"`
	SerialNumber  string `json:"SerialNumber"`
	CapacityBytes int64  `json:"CapacityBytes"`
	MediaType     string `json:"MediaType"`
	Protocol      string `json:"Protocol"`
	Status        status `json:"Status"`
}

type ethernetInterface struct {
	MACAddress          string `json:"MACAddress"`
	PermanentMACAddress string `json:"PermanentMACAddress"`
	SpeedMbps           int    `json:"SpeedMbps"`
	Status              status `json:"Status"`
}
