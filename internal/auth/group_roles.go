package auth

import (
	"context"
	"fmt"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// groupRoles returns the names of the roles of app that the user's groups
// grant (groups.mdx; FusionAuth issue #1473: a group's roles apply to
// members registered for the application). Which groups grant roles in an
// application changes rarely and is cached with the application (same TTL,
// forgotten with it on this node at once and, through the change feed, on
// the others); an application no group grants roles in costs no further
// read. Memberships are read on every login and refresh, like the
// registration's roles (security-bar R12): a user removed from a group loses
// its roles at the next refresh.
func (s *Service) groupRoles(ctx context.Context, app storage.Application, userID string) ([]string, error) {
	byGroup, err := s.groupGrants.Get(ctx, app.ID)
	if err != nil {
		return nil, fmt.Errorf("auth: group roles of application: %w", err)
	}
	if len(byGroup) == 0 {
		return nil, nil
	}
	members, _, err := s.cfg.Store.ListGroupMembers(ctx, storage.GroupMemberFilter{UserIDs: []string{userID}})
	if err != nil {
		return nil, fmt.Errorf("auth: group memberships: %w", err)
	}
	var names []string
	for _, m := range members {
		for _, id := range byGroup[m.GroupID] {
			i := slices.IndexFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.ID == id })
			if i >= 0 && !slices.Contains(names, app.Roles[i].Name) {
				names = append(names, app.Roles[i].Name)
			}
		}
	}
	return names, nil
}

// unionRoles is the roles claim: the registration's roles, then those its
// groups add, each once (FusionAuth's union).
func unionRoles(reg, groups []string) []string {
	out := make([]string, 0, len(reg)+len(groups))
	for _, r := range append(slices.Clone(reg), groups...) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}
