package accounts

import (
	"fmt"
	"slices"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
)

// Changes names what an update changed: the account's non-secret fields by
// their ent field name (account.FieldNote, account.FieldStatus, ...) and its
// credentials by kind.
type Changes struct {
	Fields      []string
	Credentials []Kind
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool { return len(c.Fields) == 0 && len(c.Credentials) == 0 }

// Field reports whether the ent field name changed.
func (c Changes) Field(name string) bool { return slices.Contains(c.Fields, name) }

// Credential reports whether the credential k changed.
func (c Changes) Credential(k Kind) bool { return slices.Contains(c.Credentials, k) }

// diff returns in reduced to the fields whose value differs from a, and
// their names. Credentials are decrypted one by one to compare; their clear
// text never leaves this function.
func (s *Service) diff(a *ent.Account, in UpdateInput) (UpdateInput, Changes, error) {
	out := UpdateInput{ID: in.ID}
	var ch Changes
	str := func(name string, want *string, have string, dst **string) {
		if want != nil && *want != have {
			*dst = want
			ch.Fields = append(ch.Fields, name)
		}
	}
	str(account.FieldErrorCode, in.ErrorCode, a.ErrorCode, &out.ErrorCode)
	str(account.FieldErrorMessage, in.ErrorMessage, a.ErrorMessage, &out.ErrorMessage)
	str(account.FieldNote, in.Note, a.Note, &out.Note)
	str(account.FieldExternalStatus, in.ExternalStatus, a.ExternalStatus, &out.ExternalStatus)
	str(account.FieldDisplayName, in.DisplayName, a.DisplayName, &out.DisplayName)
	str(account.FieldEmail, in.Email, a.Email, &out.Email)
	str(account.FieldProxy, in.Proxy, a.Proxy, &out.Proxy)
	str(account.FieldLinkProfile, in.LinkProfile, a.LinkProfile, &out.LinkProfile)
	str(account.FieldImapHost, in.ImapHost, a.ImapHost, &out.ImapHost)
	str(account.FieldImapUsername, in.ImapUsername, a.ImapUsername, &out.ImapUsername)
	if in.Status != nil && *in.Status != a.Status {
		out.Status = in.Status
		ch.Fields = append(ch.Fields, account.FieldStatus)
	}
	if in.ImapPort != nil && *in.ImapPort != a.ImapPort {
		out.ImapPort = in.ImapPort
		ch.Fields = append(ch.Fields, account.FieldImapPort)
	}
	if in.EnergyBudget != nil && *in.EnergyBudget != a.EnergyBudget {
		out.EnergyBudget = in.EnergyBudget
		ch.Fields = append(ch.Fields, account.FieldEnergyBudget)
	}
	if in.Tags != nil && !slices.Equal(in.Tags, a.Tags) {
		out.Tags = in.Tags
		ch.Fields = append(ch.Fields, account.FieldTags)
	}
	for _, sl := range slots {
		want := *sl.field(&in.Credentials)
		if want == nil {
			continue
		}
		have, err := s.open(a, sl)
		if err != nil {
			return UpdateInput{}, Changes{}, err
		}
		if *want != have {
			*sl.field(&out.Credentials) = want
			ch.Credentials = append(ch.Credentials, sl.kind)
		}
	}
	return out, ch, nil
}

// open decrypts one credential of a; an unset one is "".
func (s *Service) open(a *ent.Account, sl slot) (string, error) {
	p := sl.stored(a)
	if p == nil || len(*p) == 0 {
		return "", nil
	}
	plain, err := s.box.Open(aad(sl.column), a.ID, *p)
	if err != nil {
		return "", fmt.Errorf("open %s of account %d: %w", sl.kind, a.ID, err)
	}
	return plain, nil
}
