environment = "staging"

regions = {
  EMEA = { name = "Europe, Middle East and Africa" }
  DACH = { name = "Germany, Austria, Switzerland", parent = "EMEA" }
  NORD = { name = "Nordics", parent = "EMEA" }
  AMER = { name = "Americas" }
}
