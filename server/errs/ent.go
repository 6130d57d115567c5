package errs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
)

// FromEnt translates an ent error about `what` (e.g. "account") into a
// domain error: missing rows and privacy denials become not found (another
// workspace's object must look absent), constraint violations conflicts,
// validator failures invalid input. Other errors are wrapped unchanged.
func FromEnt(err error, what string) error {
	if err == nil {
		return nil
	}
	var verr *ent.ValidationError
	switch {
	case ent.IsNotFound(err), errors.Is(err, privacy.Deny):
		return NotFound(what)
	case errors.As(err, &verr):
		return Invalid(snakeToCamel(verr.Name), "%s", strings.TrimPrefix(verr.Unwrap().Error(), verr.Name+": "))
	case ent.IsConstraintError(err):
		return Conflict("%s already exists or is still referenced", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func snakeToCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
