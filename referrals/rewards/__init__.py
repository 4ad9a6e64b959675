"""Rewards: the state machine, issuing codes, credit and gift certificates, what order events do to rewards, reads."""
