package ipmi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/bougou/go-ipmi/pkg/command/app"
)

// fakeSlots records the user-slot requests and fails the one named in fail (ipmi_sim cannot be
// made to fail a step after Set User Name).
type fakeSlots struct {
	fail  string
	calls []string
	name  string // the slot's name as the BMC holds it
}

var errBMC = errors.New("completion code 0xcc")

func (f *fakeSlots) do(call string) error {
	f.calls = append(f.calls, call)
	if call == f.fail {
		return errBMC
	}
	return nil
}

func (f *fakeSlots) SetUsername(_ context.Context, _ uint8, name string) (*app.SetUsernameResponse, error) {
	if err := f.do(fmt.Sprintf("name %q", name)); err != nil {
		return nil, err
	}
	f.name = name
	return &app.SetUsernameResponse{}, nil
}

func (f *fakeSlots) SetUserPassword(context.Context, uint8, string, bool) (*app.SetUserPasswordResponse, error) {
	return &app.SetUserPasswordResponse{}, f.do("password")
}

func (f *fakeSlots) SetUserAccess(_ context.Context, r *app.SetUserAccessRequest) (*app.SetUserAccessResponse, error) {
	return &app.SetUserAccessResponse{}, f.do(fmt.Sprintf("access %#x", r.MaxPrivLevel))
}

func (f *fakeSlots) EnableUser(context.Context, uint8) error  { return f.do("enable") }
func (f *fakeSlots) DisableUser(context.Context, uint8) error { return f.do("disable") }

// A step after the name that fails takes the slot back (disabled, password scrambled, no
// access, name cleared) and reports that step's error; a name that fails leaves nothing to
// clear; a full sequence clears nothing.
func TestFillUserClearsTheSlotOnError(t *testing.T) {
	t.Parallel()
	fill := []string{`name "itscu"`, "password", "access 0x3", "enable"}
	clear := []string{"disable", "password", "access 0xf", `name ""`}
	for _, tc := range []struct {
		fail string
		want []string
	}{
		{"", fill},
		{`name "itscu"`, fill[:1]},
		{"password", append(slices.Clone(fill[:2]), clear...)},
		{"access 0x3", append(slices.Clone(fill[:3]), clear...)},
		{"enable", append(slices.Clone(fill), clear...)},
	} {
		t.Run("fail "+tc.fail, func(t *testing.T) {
			t.Parallel()
			f := &fakeSlots{fail: tc.fail}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := fillUser(ctx, f, 3, "itscu", "pw")
			if (tc.fail == "") != (err == nil) || err != nil && !errors.Is(err, errBMC) {
				t.Fatalf("error %v", err)
			}
			if !slices.Equal(f.calls, tc.want) {
				t.Fatalf("requests\n%q\nwant\n%q", f.calls, tc.want)
			}
			if wantName := map[bool]string{true: "itscu", false: ""}[tc.fail == ""]; f.name != wantName {
				t.Fatalf("slot named %q, want %q", f.name, wantName)
			}
		})
	}
}
