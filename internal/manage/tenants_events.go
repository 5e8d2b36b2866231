package manage

import (
	"slices"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// validateEvents checks tenant.eventConfiguration (spec §3.2): every key an
// event type, every transaction type one of FusionAuth's, and a transaction
// type other than None only on the events whose webhooks may refuse their
// change (events.Vetoable: latchkey holds back neither a failed login nor a
// revocation for a webhook). A missing transactionType is None.
func validateEvents(e *Invalid, t *storage.Tenant) {
	const field = "tenant.eventConfiguration.events"
	if t.EventConfiguration.Events == nil {
		t.EventConfiguration.Events = map[string]storage.EventConfigurationData{}
	}
	evs := t.EventConfiguration.Events
	for _, typ := range sortedKeys(evs) {
		c := evs[typ]
		if c.TransactionType == "" {
			c.TransactionType = events.TxNone
			evs[typ] = c
		}
		switch {
		case !events.Known(typ):
			e.Field("invalid", field, "["+truncate(typ, 64)+"] is not an event type.")
		case !slices.Contains(events.TransactionTypes, c.TransactionType):
			e.Field("invalid", field+"["+typ+"].transactionType", "Use one of None, Any, SimpleMajority, SuperMajority, AbsoluteMajority.")
		case c.TransactionType != events.TxNone && !events.CanVeto(typ):
			e.Field("invalid", field+"["+typ+"].transactionType",
				"The ["+typ+"] event cannot hold its change back for a webhook; its transactionType must be None.")
		}
	}
}
