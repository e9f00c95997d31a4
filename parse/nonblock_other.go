//go:build !unix

package parse

// oNonblock: systems without FIFOs in the file system never wait.
const oNonblock = 0
