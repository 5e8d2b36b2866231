package manage

import "github.com/latchkeyhq/latchkey/internal/storage"

// validateFamilyConfiguration checks tenant.familyConfiguration when the
// request sets it, storing the ages and days it leaves 0 at FusionAuth's
// defaults (storage.Tenant.Family), and returns the template ids it names,
// by field, for checkTemplateIDs.
func validateFamilyConfiguration(e *Invalid, t *storage.Tenant) map[string]string {
	if t.FamilyConfiguration == nil {
		return nil
	}
	c := t.Family()
	t.FamilyConfiguration = &c
	for _, f := range []struct {
		field    string
		v, limit int
	}{{"maximumChildAge", c.MaximumChildAge, 150}, {"minimumOwnerAge", c.MinimumOwnerAge, 150}, {"deleteOrphanedAccountsDays", c.DeleteOrphanedAccountsDays, 36500}} {
		if f.v < 1 || f.v > f.limit {
			e.Field("invalid", "tenant.familyConfiguration."+f.field, "The value must be between 1 and "+itoa(f.limit)+".")
		}
	}
	return map[string]string{
		"familyRequestEmailTemplateId": c.FamilyRequestEmailTemplateID, "confirmChildEmailTemplateId": c.ConfirmChildEmailTemplateID,
		"parentRegistrationEmailTemplateId": c.ParentRegistrationEmailTemplateID,
	}
}
