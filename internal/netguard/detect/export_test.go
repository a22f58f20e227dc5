package detect

// CountInRingsOnly makes d count every record in its rings, as before the hot cells, so that
// tests can compare the two.
func CountInRingsOnly(d *Detector) { d.noCells = true }

// BetweenBatchPasses makes AddBatch call f between the pass that finds the destinations'
// entries and the pass that counts, with no lock held.
func BetweenBatchPasses(d *Detector, f func()) { d.betweenPasses = f }
