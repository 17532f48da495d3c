"""The command line: parse, load settings, call bootstrap, print. No sync logic lives here."""
