package graph

import (
	"github.com/switchboardhq/switchboard/graph/model"
	"github.com/switchboardhq/switchboard/server/accounts"
)

// payload returns p, or nil and err when the service failed, so a failed
// mutation never returns a half-filled payload.
func payload[P any](p *P, err error) (*P, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

func credentialKinds(kinds []accounts.Kind) []model.CredentialKind {
	out := make([]model.CredentialKind, len(kinds))
	for i, k := range kinds {
		out[i] = model.CredentialKind(k)
	}
	return out
}
