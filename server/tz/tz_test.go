package tz_test

import (
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/tz"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"UTC", true}, {"Asia/Ho_Chi_Minh", true}, {"America/New_York", true},
		{"", false}, {"Local", false}, {"Mars/Olympus", false}, {"../../etc/passwd", false},
	} {
		err := tz.Validate("timezone", &tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, errs.ErrInvalid) || errs.Field(err) != "timezone") {
			t.Errorf("%q: err = %v, want invalid timezone", tc.name, err)
		}
	}
	if err := tz.Validate("timezone", nil); err != nil {
		t.Errorf("nil: %v", err)
	}
}
