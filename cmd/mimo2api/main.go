// Command mimo2api is the MiMo2API gateway. A custom build with extra plugins is this file
// plus blank imports of the plugin packages in plugins.go.
package main

import "github.com/mimo2api/mimo2api/cmd/mimo2api/mimo2apicmd"

func main() { mimo2apicmd.Main() }
