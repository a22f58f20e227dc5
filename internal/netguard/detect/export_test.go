package detect

// CountInRingsOnly makes d count every record in its rings, as before the hot cells, so that
// tests can compare the two.
func CountInRingsOnly(d *Detector) { d.noCells = true }
