package cooldown

// Defaults returns the rule set Reset installs: one workspace-wide rule per
// Facebook action that workers perform, paced like a careful human so that
// accounts stay clear of Facebook's action blocks. Costlier, more visible
// actions (posts, shares) are slower, rarer and spend more energy.
//
// Every rule carries both limits: a rule without a daily limit would let an
// account spend its whole hourly allowance around the clock. The remaining
// action types (unfollow, friend_request, join_group, view) get no default
// rule: unruled actions are not limited, and those are either rare in
// SocialKing flows or (view) harmless; a workspace adds them if it needs to.
func Defaults() []CreateInput {
	rule := func(action string, minDelay, maxDelay, hourly, daily, cost int, desc string) CreateInput {
		return CreateInput{
			ActionType: action, MinDelay: minDelay, MaxDelay: maxDelay,
			HourlyLimit: &hourly, DailyLimit: &daily, EnergyCost: &cost, Description: &desc,
		}
	}
	return []CreateInput{
		rule("like", 5, 15, 30, 200, 1, "Default: like"),
		rule("reaction", 5, 15, 30, 200, 1, "Default: reaction"),
		rule("comment", 10, 30, 15, 100, 2, "Default: comment"),
		rule("share", 30, 90, 10, 50, 3, "Default: share"),
		rule("follow", 20, 60, 20, 150, 2, "Default: follow"),
		rule("message", 30, 120, 10, 50, 2, "Default: message"),
		rule("post", 300, 900, 3, 10, 5, "Default: post"),
	}
}
