package password

// HoldSlot occupies one semaphore slot until release is called, so tests
// can stand in for an argon2 run that is in flight.
func (h *Hasher) HoldSlot() (release func()) {
	h.sem <- struct{}{}
	return h.release
}
