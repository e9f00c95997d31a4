//go:build !unix

package output

// oNonblock: systems without FIFOs in the file system never wait.
const oNonblock = 0
