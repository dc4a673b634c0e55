"""LTI 1.3 Advantage: registrations, launch, deep linking, grades, rosters, dynamic registration."""
