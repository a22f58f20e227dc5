package main

import (
	"context"
	"io"
)

// The client commands of each capability live in their own file; until a capability has its
// commands, its names answer a usage error.

// cmdCommerce: itsgow catalog | order | invoices.
var cmdCommerce = func(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	return usageError{args[0] + ": not available yet"}
}

// cmdFleet: itsgow servers | server.
var cmdFleet = func(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	return usageError{args[0] + ": not available yet"}
}

// cmdNetguard: itsgow ip | flowgen.
var cmdNetguard = func(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) error {
	return usageError{args[0] + ": not available yet"}
}
