// Package tz owns the rule for time zone names users give posts and
// schedules: IANA names only, never the server's "Local".
package tz

import (
	"time"

	"github.com/switchboardhq/switchboard/server/errs"
)

// Validate checks an optional time zone name, reporting field on failure.
func Validate(field string, name *string) error {
	if name == nil {
		return nil
	}
	if *name == "" || *name == "Local" {
		return errs.Invalid(field, "unknown time zone %q", *name)
	}
	if _, err := time.LoadLocation(*name); err != nil {
		return errs.Invalid(field, "unknown time zone %q", *name)
	}
	return nil
}
