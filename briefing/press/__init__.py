"""The press: signing and distributing a published release (targets, channels, email), and exports."""
