"""The shared base every domain package stands on: the extensions and config, people
(venues, booths, users, tokens) and their sign-in, the audit chain, errors, money, input
parsing and the background worker. It imports none of the domain packages (pos,
inventory, receipts, sync, central), so any of them can import it without a loop."""
