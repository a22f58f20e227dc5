package redfishtest

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/itsgow/itsgow/internal/fleet"
)

// The recorded vendor resource trees.
const (
	Dell       = "dell-idrac9"    // PowerEdge R650, iDRAC 9: ETag headers, standard VirtualMedia actions
	HPE        = "hpe-ilo5"       // ProLiant DL325 Gen10 Plus, iLO 5: trailing slashes, @odata.etag, no PowerCycle, VirtualMedia by PATCH
	Supermicro = "supermicro-x12" // SYS-E300-12D, X12: Reset allowable values in an ActionInfo resource
)

// Vendors lists the recorded trees.
func Vendors() []string { return []string{Dell, HPE, Supermicro} }

// The credentials every Server accepts unless Options say otherwise.
const (
	Username = "root"
	Password = "calvin"
)

//go:embed testdata/*.json
var fixtures embed.FS

// Fixture returns the recorded JSON of one resource of a vendor tree (as recorded, before any
// change), for fuzz seeds and decoding tests.
func Fixture(vendor, path string) ([]byte, error) {
	tree, err := loadTree(vendor)
	if err != nil {
		return nil, err
	}
	raw, ok := tree[normalize(path)]
	if !ok {
		return nil, fmt.Errorf("redfishtest: %s has no resource %s", vendor, path)
	}
	return raw, nil
}

func loadTree(vendor string) (map[string]json.RawMessage, error) {
	b, err := fixtures.ReadFile("testdata/" + vendor + ".json")
	if err != nil {
		return nil, fmt.Errorf("redfishtest: unknown vendor %q", vendor)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("redfishtest: %s: %w", vendor, err)
	}
	tree := make(map[string]json.RawMessage, len(raw))
	for p, r := range raw {
		tree[normalize(p)] = r
	}
	return tree, nil
}

// Options change how a Server behaves.
type Options struct {
	TLS      bool   // serve HTTPS with a self-signed certificate (see CACert)
	Username string // default Username
	Password string // default Password
}

// Call is one request the server received.
type Call struct {
	Method string
	Path   string // path and query as sent
	Header http.Header
	Body   string
}

// Hook sees every request after it is recorded and before the server handles it; it returns
// true when it answered the request itself.
type Hook func(w http.ResponseWriter, r *http.Request) bool

// Server is a Redfish service for one vendor tree.
type Server struct {
	URL string

	srv      *httptest.Server
	vendor   string
	user     string
	pass     string
	closing  chan struct{}
	closeMux sync.Once

	mu       sync.Mutex
	res      map[string]map[string]any // normalized path -> resource
	versions map[string]int
	actions  map[string]actionRef // normalized target -> resource and action
	sessions string               // normalized sessions collection
	accounts string               // normalized AccountService Accounts collection, "" when none
	accPass  map[string]string    // account path -> password (GET shows Password null)
	tokens   map[string]string    // token -> session path
	nextID   int
	calls    []Call
	hooks    []Hook
	boots    []string
}

type actionRef struct {
	resource string
	name     string
}

// New starts a Server for vendor and stops it when the test ends.
func New(tb testing.TB, vendor string, opts Options) *Server {
	tb.Helper()
	tree, err := loadTree(vendor)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{
		vendor: vendor, user: opts.Username, pass: opts.Password, closing: make(chan struct{}),
		res: map[string]map[string]any{}, versions: map[string]int{}, actions: map[string]actionRef{},
		tokens: map[string]string{}, accPass: map[string]string{},
	}
	if s.user == "" {
		s.user = Username
	}
	if s.pass == "" {
		s.pass = Password
	}
	for p, raw := range tree {
		var obj map[string]any
		if err := json.Unmarshal(raw, &obj); err != nil {
			tb.Fatalf("redfishtest: %s %s: %v", vendor, p, err)
		}
		s.res[p] = obj
		s.versions[p] = 1
		acts, _ := obj["Actions"].(map[string]any)
		for name, a := range acts {
			if target, ok := a.(map[string]any)["target"].(string); ok && strings.HasPrefix(name, "#") {
				s.actions[normalize(target)] = actionRef{resource: p, name: name}
			}
		}
	}
	s.sessions = defaultSessions
	if root, ok := s.res["/redfish/v1"]; ok {
		if id := nestedID(root, "Links", "Sessions"); id != "" {
			s.sessions = normalize(id)
		}
	}
	for _, obj := range s.res {
		if obj["@odata.type"] != nil && strings.HasPrefix(fmt.Sprint(obj["@odata.type"]), "#AccountService.") {
			if id := nestedID(obj, "Accounts"); id != "" {
				s.accounts = normalize(id)
			}
		}
	}
	if opts.TLS {
		s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	} else {
		s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	}
	s.URL = s.srv.URL
	tb.Cleanup(s.Close)
	return s
}

const defaultSessions = "/redfish/v1/SessionService/Sessions"

// Close stops the server; requests held by Hang return.
func (s *Server) Close() {
	s.closeMux.Do(func() {
		close(s.closing)
		s.srv.Close()
	})
}

// BMC returns the address and credentials of the server, for the redfish driver.
func (s *Server) BMC() fleet.BMC {
	return fleet.BMC{Address: s.URL, Username: s.user, Password: fleet.Secret(s.pass), Driver: "redfish"}
}

// CACert returns the PEM certificate of a TLS server ("" without TLS).
func (s *Server) CACert() string {
	if s.srv.Certificate() == nil || s.srv.TLS == nil {
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw}))
}

// Intercept adds a hook; hooks run in the order added.
func (s *Server) Intercept(h Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, h)
}

// Calls returns the requests received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// ResetCalls forgets the requests received so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// Resource returns a copy of the current state of a resource, nil when there is none.
func (s *Server) Resource(path string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok := s.res[normalize(path)]
	if !ok {
		return nil
	}
	b, _ := json.Marshal(obj)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// Set replaces one property of a resource, e.g. Set(sys, "PowerState", "On").
func (s *Server) Set(path, property string, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if obj, ok := s.res[normalize(path)]; ok {
		obj[property] = value
		s.touch(normalize(path))
	}
}

// ExpireSessions forgets every session, as a BMC does when they time out: the next request
// with an old X-Auth-Token gets 401.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, p := range s.tokens {
		delete(s.tokens, tok)
		delete(s.res, p)
	}
	s.syncSessions()
}

// Sessions returns the number of open sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}

// Boots returns the boot source of every boot the system went through (power on or
// restart): "Pxe", "Cd", "Hdd", "BiosSetup" from the override, "None" without one.
func (s *Server) Boots() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.boots)
}

// Respond returns a hook answering requests that match method and path ("" matches any) with
// a fixed status, content type and body.
func Respond(method, path string, status int, contentType, body string) Hook {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !match(r, method, path) {
			return false
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
		return true
	}
}

// Hang returns a hook that never answers matching requests: it holds them until the client
// gives up or the server closes.
func (s *Server) Hang(method, path string) Hook {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !match(r, method, path) {
			return false
		}
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return true
	}
}

func match(r *http.Request, method, path string) bool {
	return (method == "" || r.Method == method) && (path == "" || normalize(r.URL.Path) == normalize(path))
}

// ErrorBody renders a Redfish error answer with one @Message.ExtendedInfo entry.
func ErrorBody(messageID, message string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"code":    "Base.1.8.GeneralError",
		"message": "A general error has occurred. See ExtendedInfo for more information.",
		"@Message.ExtendedInfo": []any{map[string]any{
			"@odata.type": "#Message.v1_1_1.Message",
			"MessageId":   messageID,
			"Message":     message,
			"Severity":    "Critical",
			"Resolution":  "Retry the operation. If the issue persists, contact your service provider.",
		}},
	}})
	return string(b)
}

func normalize(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	return p
}

func nestedID(obj map[string]any, keys ...string) string {
	var cur any = obj
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	m, _ := cur.(map[string]any)
	id, _ := m["@odata.id"].(string)
	return id
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	path := r.URL.Path
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: r.Method, Path: path, Header: r.Header.Clone(), Body: string(body)})
	hooks := slices.Clone(s.hooks)
	s.mu.Unlock()
	for _, h := range hooks {
		if h(w, r) {
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := normalize(r.URL.Path)
	public := p == "/redfish" || p == "/redfish/v1" || (p == s.sessions && r.Method == http.MethodPost)
	if !public && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="RedfishService"`)
		s.fail(w, http.StatusUnauthorized, "Base.1.8.InsufficientPrivilege",
			"There are insufficient privileges for the account or credentials associated with the current session to perform the requested operation.")
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.get(w, p)
	case http.MethodPost:
		s.post(w, r, p, body)
	case http.MethodPatch:
		s.patch(w, r, p, body)
	case http.MethodDelete:
		s.delete(w, p)
	default:
		s.fail(w, http.StatusMethodNotAllowed, "Base.1.8.OperationNotAllowed", "The HTTP method is not allowed on this resource.")
	}
}

func (s *Server) authorized(r *http.Request) bool {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		_, ok := s.tokens[tok]
		return ok
	}
	u, p, ok := r.BasicAuth()
	return ok && s.valid(u, p)
}

// valid checks a user name and password: the server's own, or an enabled account created
// through the AccountService.
func (s *Server) valid(user, pass string) bool {
	if subtle.ConstantTimeCompare([]byte(user), []byte(s.user)) == 1 && subtle.ConstantTimeCompare([]byte(pass), []byte(s.pass)) == 1 {
		return true
	}
	for p, pw := range s.accPass {
		a := s.res[p]
		if a != nil && a["UserName"] == user && user != "" && a["Enabled"] == true && subtle.ConstantTimeCompare([]byte(pass), []byte(pw)) == 1 {
			return true
		}
	}
	return false
}

// Accounts returns the user names of the enabled accounts other than the server's own user,
// sorted: the credentials a driver created.
func (s *Server) Accounts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for p, a := range s.res {
		if s.accounts == "" || !strings.HasPrefix(p, s.accounts+"/") {
			continue
		}
		if name, _ := a["UserName"].(string); name != "" && name != s.user && a["Enabled"] == true {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// SessionsOf returns how many sessions the user has open.
func (s *Server) SessionsOf(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.tokens {
		if s.res[p]["UserName"] == user {
			n++
		}
	}
	return n
}

func (s *Server) get(w http.ResponseWriter, p string) {
	obj, ok := s.res[p]
	if !ok {
		s.notFound(w, p)
		return
	}
	if _, inBody := obj["@odata.etag"]; !inBody {
		w.Header().Set("ETag", s.etag(p))
	}
	s.writeJSON(w, http.StatusOK, obj)
}

func (s *Server) post(w http.ResponseWriter, r *http.Request, p string, body []byte) {
	if p == s.sessions {
		s.login(w, r, body)
		return
	}
	if p == s.accounts && s.accounts != "" && s.vendor != Dell {
		s.createAccount(w, r, body)
		return
	}
	ref, ok := s.actions[p]
	if !ok {
		if _, exists := s.res[p]; exists {
			s.fail(w, http.StatusMethodNotAllowed, "Base.1.8.OperationNotAllowed", "POST is not allowed on this resource.")
			return
		}
		s.notFound(w, p)
		return
	}
	var args map[string]any
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &args); err != nil {
			s.fail(w, http.StatusBadRequest, "Base.1.8.MalformedJSON", "The request body submitted was malformed JSON and could not be parsed by the receiving service.")
			return
		}
	}
	switch ref.name {
	case "#ComputerSystem.Reset":
		s.reset(w, ref.resource, args)
	case "#VirtualMedia.InsertMedia":
		s.insert(w, ref.resource, args)
	case "#VirtualMedia.EjectMedia":
		s.eject(w, ref.resource)
	default:
		s.fail(w, http.StatusBadRequest, "Base.1.8.ActionNotSupported", "The action "+ref.name+" is not supported by the resource.")
	}
}

func (s *Server) reset(w http.ResponseWriter, sysPath string, args map[string]any) {
	sys := s.res[sysPath]
	rt, _ := args["ResetType"].(string)
	if rt == "" {
		s.fail(w, http.StatusBadRequest, "Base.1.8.ActionParameterMissing", "The action ComputerSystem.Reset requires the parameter ResetType to be present in the request body.")
		return
	}
	if allowed := s.allowedResetTypes(sys); !slices.Contains(allowed, rt) {
		s.fail(w, http.StatusBadRequest, "Base.1.8.ActionParameterNotSupported",
			fmt.Sprintf("The parameter ResetType for the action ComputerSystem.Reset is not supported on the target resource (value %s).", rt))
		return
	}
	on := sys["PowerState"] == "On"
	switch rt {
	case "On", "ForceOn":
		if on {
			s.fail(w, http.StatusConflict, "Base.1.8.ActionNotSupported", "The system is already powered on.")
			return
		}
		s.boot(sysPath)
	case "ForceOff", "GracefulShutdown":
		sys["PowerState"] = "Off"
	case "ForceRestart", "GracefulRestart", "PowerCycle", "PushPowerButton":
		if !on && rt != "PowerCycle" && rt != "PushPowerButton" {
			s.fail(w, http.StatusConflict, "Base.1.8.ActionNotSupported", "The system is powered off and cannot be restarted.")
			return
		}
		s.boot(sysPath)
	}
	s.touch(sysPath)
	w.WriteHeader(http.StatusNoContent)
}

// boot powers the system on through POST and consumes a one-time boot override, as BMCs do.
func (s *Server) boot(sysPath string) {
	sys := s.res[sysPath]
	sys["PowerState"] = "On"
	from := "None"
	if b, ok := sys["Boot"].(map[string]any); ok {
		if b["BootSourceOverrideEnabled"] != "Disabled" {
			from, _ = b["BootSourceOverrideTarget"].(string)
		}
		if b["BootSourceOverrideEnabled"] == "Once" {
			b["BootSourceOverrideEnabled"] = "Disabled"
			b["BootSourceOverrideTarget"] = "None"
		}
	}
	s.boots = append(s.boots, from)
}

func (s *Server) allowedResetTypes(sys map[string]any) []string {
	acts, _ := sys["Actions"].(map[string]any)
	reset, _ := acts["#ComputerSystem.Reset"].(map[string]any)
	if vals, ok := reset["ResetType@Redfish.AllowableValues"].([]any); ok {
		return strs(vals)
	}
	if info, ok := reset["@Redfish.ActionInfo"].(string); ok {
		params, _ := s.res[normalize(info)]["Parameters"].([]any)
		for _, p := range params {
			if m, _ := p.(map[string]any); m["Name"] == "ResetType" {
				vals, _ := m["AllowableValues"].([]any)
				return strs(vals)
			}
		}
	}
	return []string{"On", "ForceOff", "GracefulShutdown", "ForceRestart", "GracefulRestart", "PowerCycle"}
}

func strs(vals []any) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) insert(w http.ResponseWriter, vmPath string, args map[string]any) {
	vm := s.res[vmPath]
	image, _ := args["Image"].(string)
	if image == "" {
		s.fail(w, http.StatusBadRequest, "Base.1.8.ActionParameterMissing", "The action VirtualMedia.InsertMedia requires the parameter Image to be present in the request body.")
		return
	}
	if vm["Inserted"] == true {
		s.fail(w, http.StatusConflict, "Base.1.8.ResourceInUse", "The virtual media is already connected; eject it first.")
		return
	}
	vm["Image"] = image
	vm["ImageName"] = image[strings.LastIndex(image, "/")+1:]
	vm["Inserted"] = true
	vm["ConnectedVia"] = "URI"
	if wp, ok := args["WriteProtected"].(bool); ok {
		vm["WriteProtected"] = wp
	}
	s.touch(vmPath)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) eject(w http.ResponseWriter, vmPath string) {
	vm := s.res[vmPath]
	vm["Image"] = nil
	vm["ImageName"] = nil
	vm["Inserted"] = false
	vm["ConnectedVia"] = "NotConnected"
	s.touch(vmPath)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) patch(w http.ResponseWriter, r *http.Request, p string, body []byte) {
	obj, ok := s.res[p]
	if !ok {
		s.notFound(w, p)
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && m != "*" && m != s.currentETag(p) {
		s.fail(w, http.StatusPreconditionFailed, "Base.1.8.PreconditionFailed", "The ETag supplied did not match the ETag required to change this resource.")
		return
	}
	var change map[string]any
	if err := json.Unmarshal(body, &change); err != nil {
		s.fail(w, http.StatusBadRequest, "Base.1.8.MalformedJSON", "The request body submitted was malformed JSON and could not be parsed by the receiving service.")
		return
	}
	if b, ok := change["Boot"].(map[string]any); ok {
		cur, _ := obj["Boot"].(map[string]any)
		if allowed, ok := cur["BootSourceOverrideTarget@Redfish.AllowableValues"].([]any); ok {
			if t, ok := b["BootSourceOverrideTarget"].(string); ok && !slices.Contains(strs(allowed), t) {
				s.fail(w, http.StatusBadRequest, "Base.1.8.PropertyValueNotInList",
					fmt.Sprintf("The value %s for the property BootSourceOverrideTarget is not in the list of acceptable values.", t))
				return
			}
		}
	}
	if img, ok := change["Image"]; ok {
		if _, set := change["Inserted"]; !set {
			change["Inserted"] = img != nil && img != ""
		}
	}
	if pw, ok := change["Password"].(string); ok && s.accounts != "" && strings.HasPrefix(p, s.accounts+"/") {
		s.accPass[p] = pw
		change["Password"] = nil
	}
	merge(obj, change)
	s.touch(p)
	s.writeJSON(w, http.StatusOK, map[string]any{"@Message.ExtendedInfo": []any{map[string]any{
		"MessageId": "Base.1.8.Success", "Message": "Successfully Completed Request", "Severity": "OK",
	}}})
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		if sub, ok := v.(map[string]any); ok {
			if cur, ok := dst[k].(map[string]any); ok {
				merge(cur, sub)
				continue
			}
		}
		dst[k] = v
	}
}

func (s *Server) delete(w http.ResponseWriter, p string) {
	for tok, sess := range s.tokens {
		if sess == p {
			delete(s.tokens, tok)
			delete(s.res, p)
			s.syncSessions()
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if _, ok := s.res[p]; ok && s.accounts != "" && s.vendor != Dell && strings.HasPrefix(p, s.accounts+"/") {
		delete(s.res, p)
		delete(s.accPass, p)
		s.syncAccounts()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if _, ok := s.res[p]; ok {
		s.fail(w, http.StatusMethodNotAllowed, "Base.1.8.OperationNotAllowed", "DELETE is not allowed on this resource.")
		return
	}
	s.notFound(w, p)
}

// createAccount adds a ManagerAccount, as HPE and Supermicro BMCs do on POST to Accounts (iDRAC
// has fixed slots and answers 405).
func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, body []byte) {
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		s.fail(w, http.StatusBadRequest, "Base.1.8.MalformedJSON", "The request body submitted was malformed JSON and could not be parsed by the receiving service.")
		return
	}
	user, _ := in["UserName"].(string)
	pw, _ := in["Password"].(string)
	if user == "" || pw == "" {
		s.fail(w, http.StatusBadRequest, "Base.1.8.PropertyMissing", "The property UserName or Password is a required property and must be included in the request.")
		return
	}
	for p, a := range s.res {
		if strings.HasPrefix(p, s.accounts+"/") && a["UserName"] == user {
			s.fail(w, http.StatusConflict, "Base.1.8.ResourceAlreadyExists", "The requested resource already exists.")
			return
		}
	}
	s.nextID++
	id := strconv.Itoa(100 + s.nextID)
	p := s.accounts + "/" + id
	role, _ := in["RoleId"].(string)
	enabled, ok := in["Enabled"].(bool)
	if !ok {
		enabled = true
	}
	s.res[p] = map[string]any{"@odata.id": p, "@odata.type": "#ManagerAccount.v1_8_0.ManagerAccount", "Id": id, "Name": "User Account",
		"UserName": user, "RoleId": role, "Enabled": enabled, "Locked": false, "Password": nil}
	s.versions[p] = 1
	s.accPass[p] = pw
	s.syncAccounts()
	s.created(w, r, p)
}

func (s *Server) syncAccounts() {
	coll, ok := s.res[s.accounts]
	if !ok {
		return
	}
	var paths []string
	for p := range s.res {
		if strings.HasPrefix(p, s.accounts+"/") && !strings.Contains(p[len(s.accounts)+1:], "/") {
			paths = append(paths, p)
		}
	}
	slices.SortFunc(paths, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	members := []any{}
	for _, p := range paths {
		id := p
		if s.vendor == HPE {
			id += "/"
		}
		members = append(members, map[string]any{"@odata.id": id})
	}
	coll["Members"] = members
	coll["Members@odata.count"] = len(members)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, body []byte) {
	var creds struct{ UserName, Password string }
	if err := json.Unmarshal(body, &creds); err != nil {
		s.fail(w, http.StatusBadRequest, "Base.1.8.MalformedJSON", "The request body submitted was malformed JSON and could not be parsed by the receiving service.")
		return
	}
	if !s.valid(creds.UserName, creds.Password) {
		s.fail(w, http.StatusUnauthorized, "Base.1.8.NoValidSession", "There is no valid session established with the implementation.")
		return
	}
	s.nextID++
	id := strconv.Itoa(s.nextID)
	token := fmt.Sprintf("token-%s-%d", s.vendor, s.nextID)
	p := s.sessions + "/" + id
	s.res[p] = map[string]any{
		"@odata.id": p, "@odata.type": "#Session.v1_3_0.Session", "Id": id, "Name": "User Session", "UserName": creds.UserName,
	}
	s.tokens[token] = p
	s.syncSessions()
	w.Header().Set("X-Auth-Token", token)
	s.created(w, r, p)
}

// created answers 201 with the new resource at p and its Location: iLO gives an absolute URL
// with a trailing slash, the others the path.
func (s *Server) created(w http.ResponseWriter, r *http.Request, p string) {
	loc := p
	if s.vendor == HPE {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		loc = scheme + "://" + r.Host + p + "/"
	}
	w.Header().Set("Location", loc)
	s.writeJSON(w, http.StatusCreated, s.res[p])
}

func (s *Server) syncSessions() {
	coll, ok := s.res[s.sessions]
	if !ok {
		return
	}
	var members []any
	for _, p := range slices.Sorted(maps.Values(s.tokens)) {
		members = append(members, map[string]any{"@odata.id": p})
	}
	coll["Members"] = members
	coll["Members@odata.count"] = len(members)
}

func (s *Server) touch(p string) {
	s.versions[p]++
	if _, inBody := s.res[p]["@odata.etag"]; inBody {
		s.res[p]["@odata.etag"] = s.etag(p)
	}
}

func (s *Server) etag(p string) string { return fmt.Sprintf(`W/"%08X"`, 0xE7A90000+s.versions[p]) }

func (s *Server) currentETag(p string) string {
	if tag, ok := s.res[p]["@odata.etag"].(string); ok {
		return tag
	}
	return s.etag(p)
}

func (s *Server) notFound(w http.ResponseWriter, p string) {
	s.fail(w, http.StatusNotFound, "Base.1.8.ResourceMissingAtURI", "The resource at the URI "+p+" was not found.")
}

func (s *Server) fail(w http.ResponseWriter, status int, id, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, ErrorBody(id, msg))
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "Base.1.8.InternalError", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
