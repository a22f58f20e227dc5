package main

// The client commands of each capability live in their own file: commerce.go (catalog, order,
// invoices, contract), fleet.go (servers, server), ip.go (ip, ips) and flowgen.go (flowgen).
