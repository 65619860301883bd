package report

// Sanitize makes a string from scanned or pushed content (a path, a ref
// name) safe to print on a terminal, as the text report does: anything not
// printable is shown quoted and escaped, so it can neither drive the
// terminal nor fake a line.
func Sanitize(s string) string { return sanitize(s) }
