package server

import "github.com/latchkeyhq/latchkey/internal/storage"

// preventedAction is one action of FusionAuth's 409 login answer
// (LoginPreventedResponse; login-prevented-response.json): the action taken
// (actionId is the UserActionLog's id) and its reason and option when set.
type preventedAction struct {
	ActionID        string `json:"actionId"`
	ActionerUserID  string `json:"actionerUserId,omitempty"`
	Expiry          int64  `json:"expiry,omitempty"`
	LocalizedName   string `json:"localizedName,omitempty"`
	LocalizedOption string `json:"localizedOption,omitempty"`
	LocalizedReason string `json:"localizedReason,omitempty"`
	Name            string `json:"name"`
	Option          string `json:"option,omitempty"`
	Reason          string `json:"reason,omitempty"`
	ReasonCode      string `json:"reasonCode,omitempty"`
}

// preventedAnswer is the 409 body: {"actions":[...]}, one per action in
// force that prevents the login.
func preventedAnswer(actions []storage.UserActionLog) map[string][]preventedAction {
	out := make([]preventedAction, len(actions))
	for i, a := range actions {
		out[i] = preventedAction{ActionID: a.ID, ActionerUserID: a.ActionerUserID, Expiry: a.Expiry,
			LocalizedName: a.LocalizedName, LocalizedOption: a.LocalizedOption, LocalizedReason: a.LocalizedReason,
			Name: a.Name, Option: a.Option, Reason: a.Reason, ReasonCode: a.ReasonCode}
	}
	return map[string][]preventedAction{"actions": out}
}
