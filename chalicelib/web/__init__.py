"""Server-rendered pages. `kit` is the plumbing every page shares; pages live by audience and area:
`portal/` for buyers, `staff/` for the supplier's team, `signin` and `documents` (both audiences) here."""
