// Package archtest holds no code: its test keeps the architecture honest across the module
// (one package doc per package, imports pointing down the tiers, time read only through clock).
// It imports only the standard library.
package archtest
