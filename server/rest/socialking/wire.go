package socialking

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/cooldown"
)

// ruleJSON is a cooldown in SocialKing's shape. The document mixes camel and
// snake case ("actionType" beside "min_delay"); it is reproduced as is.
// Nullable fields are always present, as null when unset.
type ruleJSON struct {
	ID          uuid.UUID `json:"id"`
	ActionType  string    `json:"actionType"`
	PoolID      *string   `json:"poolId"`
	MinDelay    int       `json:"min_delay"`
	MaxDelay    int       `json:"max_delay"`
	HourlyLimit *int      `json:"hourly_limit"`
	DailyLimit  *int      `json:"daily_limit"`
	EnergyCost  int       `json:"energy_cost"`
	Description *string   `json:"description"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   jsTime    `json:"createdAt"`
	UpdatedAt   jsTime    `json:"updatedAt"`
}

func toRuleJSON(r *ent.CooldownRule) ruleJSON {
	var pool *string
	if r.PoolID != "" {
		pool = &r.PoolID
	}
	return ruleJSON{
		ID: r.UUID, ActionType: r.ActionType, PoolID: pool,
		MinDelay: r.MinDelay, MaxDelay: r.MaxDelay,
		HourlyLimit: r.HourlyLimit, DailyLimit: r.DailyLimit,
		EnergyCost: r.EnergyCost, Description: r.Description, Enabled: r.Enabled,
		CreatedAt: jsTime(r.CreatedAt), UpdatedAt: jsTime(r.UpdatedAt),
	}
}

func toRulesJSON(rs []*ent.CooldownRule) []ruleJSON {
	out := make([]ruleJSON, len(rs))
	for i, r := range rs {
		out[i] = toRuleJSON(r)
	}
	return out
}

// jsTime renders like JavaScript's Date.toISOString, which SocialKing's
// clients parse: UTC with milliseconds ("2025-01-02T03:04:05.678Z").
type jsTime time.Time

func (t jsTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

// pageMeta is get-all's pagination, beside data (the document is silent;
// docs/compat.md).
type pageMeta struct {
	Page       int `json:"page"`
	Limit      int `json:"limit"`
	Total      int `json:"total"`
	TotalPages int `json:"totalPages"`
}

// bulkCreateJSON is bulk-create's data.
type bulkCreateJSON struct {
	Items   []ruleJSON `json:"items"`
	Created int        `json:"created"`
	Skipped int        `json:"skipped"`
}

// bulkUpdateJSON is bulk-update's data.
type bulkUpdateJSON struct {
	Items   []ruleJSON `json:"items"`
	Updated int        `json:"updated"`
}

// deleteJSON is delete's data.
type deleteJSON struct {
	IDs     []uuid.UUID `json:"ids"`
	Deleted int         `json:"deleted"`
}

// Request bodies are decoded field by field from a JSON object rather than
// into structs, for three things encoding/json cannot give: an absent field
// told apart from an explicit null (null clears a nullable field on
// update), every wrong field reported at once under the document's name,
// and unknown fields refused by name.

// readObject reads the request body as a JSON object of raw fields.
func (h *handlers) readObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, message: msgTooLarge}
		}
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return parseObject(body, "")
}

// parseObject decodes raw as a JSON object; at names it for errors.
func parseObject(raw []byte, at string) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, &apiError{status: http.StatusBadRequest, message: "Request body must be a JSON object"}
	}
	if !json.Valid(raw) {
		return nil, &apiError{status: http.StatusBadRequest, message: "Malformed JSON"}
	}
	var obj map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &obj) != nil {
		if at == "" {
			return nil, &apiError{status: http.StatusBadRequest, message: "Request body must be a JSON object"}
		}
		return nil, badRequest(fieldError{Field: at, Message: lastName(at) + " must be an object"})
	}
	return obj, nil
}

// fields reads typed values out of one JSON object, collecting an error per
// bad field. prefix ("items[2].") is prepended to reported field names.
type fields struct {
	obj    map[string]json.RawMessage
	prefix string
	errs   []fieldError
}

func (f *fields) fail(name, format string, args ...any) {
	f.errs = append(f.errs, fieldError{Field: f.prefix + name, Message: name + " " + fmt.Sprintf(format, args...)})
}

// raw returns a field's JSON; present is false when the key is absent and
// null true when it is JSON null.
func (f *fields) raw(name string) (raw json.RawMessage, present, null bool) {
	raw, present = f.obj[name]
	return raw, present, present && string(bytes.TrimSpace(raw)) == "null"
}

// optInt reads an integer field. nullable says whether null is allowed;
// with null, the result is (nil, true).
func (f *fields) optInt(name string, nullable bool) (v *int, present bool) {
	raw, present, null := f.raw(name)
	switch {
	case !present:
		return nil, false
	case null && nullable:
		return nil, true
	case null:
		f.fail(name, "must not be null")
		return nil, false
	}
	n, err := parseInteger(raw)
	if err != nil {
		f.fail(name, "%s", err.Error())
		return nil, false
	}
	return &n, true
}

// parseInteger accepts a JSON number with an integral value (5, 5.0, 5e2)
// that fits an int; strings and fractions are refused.
func parseInteger(raw json.RawMessage) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, errors.New("must be an integer")
	}
	num, ok := v.(json.Number)
	if !ok {
		return 0, errors.New("must be an integer")
	}
	if n, err := strconv.ParseInt(num.String(), 10, 64); err == nil {
		if n < math.MinInt || n > math.MaxInt {
			return 0, errors.New("is out of range")
		}
		return int(n), nil
	}
	fl, err := num.Float64()
	if err != nil || fl != math.Trunc(fl) {
		return 0, errors.New("must be an integer")
	}
	if fl < -(1<<53) || fl > 1<<53 {
		return 0, errors.New("is out of range")
	}
	return int(fl), nil
}

// optString reads a string field; see optInt.
func (f *fields) optString(name string, nullable bool) (v *string, present bool) {
	raw, present, null := f.raw(name)
	switch {
	case !present:
		return nil, false
	case null && nullable:
		return nil, true
	case null:
		f.fail(name, "must not be null")
		return nil, false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		f.fail(name, "must be a string")
		return nil, false
	}
	return &s, true
}

// optBool reads a boolean field; null is never allowed.
func (f *fields) optBool(name string) *bool {
	raw, present, null := f.raw(name)
	if !present {
		return nil
	}
	var b bool
	if null || json.Unmarshal(raw, &b) != nil {
		f.fail(name, "must be a boolean")
		return nil
	}
	return &b
}

// optUUID reads a UUID string field; null is never allowed.
func (f *fields) optUUID(name string) (uuid.UUID, bool) {
	s, present := f.optString(name, false)
	if !present || s == nil {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(*s)
	if err != nil {
		f.fail(name, "must be a UUID")
		return uuid.Nil, false
	}
	return id, true
}

// array reads an array field of raw elements.
func (f *fields) array(name string) ([]json.RawMessage, bool) {
	raw, present, null := f.raw(name)
	if !present || null {
		f.fail(name, "is required")
		return nil, false
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		f.fail(name, "must be an array")
		return nil, false
	}
	return elems, true
}

// refuseUnknown fails every key of the object not in known. The read-only
// fields of a cooldown (createdAt, updatedAt, and id where it is not
// an input) are accepted and ignored, so a client may send back what it
// fetched.
func (f *fields) refuseUnknown(known ...string) {
	var unknown []string
	for k := range f.obj {
		if !slices.Contains(known, k) && k != "createdAt" && k != "updatedAt" && k != "id" {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		f.errs = append(f.errs, fieldError{Field: f.prefix + k, Message: "property " + k + " should not exist"})
	}
}

// ruleFieldNames are a cooldown's writable fields.
var ruleFieldNames = []string{
	"actionType", "poolId", "min_delay", "max_delay", "hourly_limit", "daily_limit",
	"energy_cost", "description", "enabled",
}

// createInput reads create's body (and each bulk-create item).
func (f *fields) createInput() cooldown.CreateInput {
	var in cooldown.CreateInput
	if s, _ := f.optString("actionType", false); s != nil {
		in.ActionType = *s
	} else if _, present := f.obj["actionType"]; !present {
		f.fail("actionType", "is required")
	}
	in.PoolID, _ = f.optString("poolId", true)
	if n, _ := f.optInt("min_delay", false); n != nil {
		in.MinDelay = *n
	} else if _, present := f.obj["min_delay"]; !present {
		f.fail("min_delay", "is required")
	}
	if n, _ := f.optInt("max_delay", false); n != nil {
		in.MaxDelay = *n
	} else if _, present := f.obj["max_delay"]; !present {
		f.fail("max_delay", "is required")
	}
	in.HourlyLimit, _ = f.optInt("hourly_limit", true)
	in.DailyLimit, _ = f.optInt("daily_limit", true)
	in.EnergyCost, _ = f.optInt("energy_cost", false)
	in.Description, _ = f.optString("description", true)
	in.Enabled = f.optBool("enabled")
	f.refuseUnknown(ruleFieldNames...)
	return in
}

// updateInput reads update's body (and each bulk-update item, whose id the
// caller reads). An explicit null clears a nullable field.
func (f *fields) updateInput(known ...string) cooldown.UpdateInput {
	var in cooldown.UpdateInput
	in.ActionType, _ = f.optString("actionType", false)
	if s, present := f.optString("poolId", true); present {
		if s == nil {
			s = new("") // every account
		}
		in.PoolID = s
	}
	in.MinDelay, _ = f.optInt("min_delay", false)
	in.MaxDelay, _ = f.optInt("max_delay", false)
	if n, present := f.optInt("hourly_limit", true); present {
		in.HourlyLimit = n
		in.ClearHourlyLimit = new(n == nil)
	}
	if n, present := f.optInt("daily_limit", true); present {
		in.DailyLimit = n
		in.ClearDailyLimit = new(n == nil)
	}
	in.EnergyCost, _ = f.optInt("energy_cost", false)
	if s, present := f.optString("description", true); present {
		if s == nil {
			s = new("") // the domain clears an empty description
		}
		in.Description = s
	}
	in.Enabled = f.optBool("enabled")
	f.refuseUnknown(append(known, ruleFieldNames...)...)
	return in
}

func lastName(field string) string {
	for i := len(field) - 1; i >= 0; i-- {
		if field[i] == '.' {
			return field[i+1:]
		}
	}
	return field
}
