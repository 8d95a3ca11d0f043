package state

import (
	"fmt"

	"github.com/sfsync/sfsync/internal/sfid"
)

// MoveToOrg binds the state to another org, bypassing the org guard: for an
// org replaced by a copy with a new Id, such as a refreshed sandbox, whose
// records the caller has matched again (sfsync state rebind). The lineage
// stays, so the state's history goes on; the records are the caller's to
// rebind, since Ids of the old org mean nothing in the new one.
func (s *State) MoveToOrg(orgID, instanceURL string) error {
	if !sfid.Valid(orgID) {
		return fmt.Errorf("move state to org: %q is not a Salesforce org Id", orgID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgID = sfid.To18(orgID)
	s.instanceURL = instanceURL
	return nil
}
