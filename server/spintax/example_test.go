package spintax_test

import (
	"fmt"

	"github.com/switchboardhq/switchboard/server/spintax"
)

func ExampleExpand() {
	const title = `{Hi|Hello|Hey} {there|friend}! \{Sale\} 50% off {today|this week}`
	seed := spintax.Seed("0b5e7f3e-1c2d-4a5b-8c9d-0e1f2a3b4c5d", "title")

	out, err := spintax.Expand(title, seed)
	if err != nil {
		panic(err)
	}
	n, _ := spintax.Count(title)
	fmt.Println(out)
	fmt.Println(n, "variants")
	// Output:
	// Hey friend! {Sale} 50% off this week
	// 12 variants
}

func ExampleValidate() {
	fmt.Println(spintax.Validate("Hello {world|friend"))
	// Output: spintax: unclosed "{" at offset 6
}
