environment   = "sandbox"
org_dir       = ".sfsync/sandbox"
support_email = "support-uat@acme.example"

# Test prices: a product that is not sold yet is priced in the sandbox.
list_prices = {
  "GADGET-1" = 49.9
  "GADGET-2" = 89
  "GADGET-3" = 129
}
