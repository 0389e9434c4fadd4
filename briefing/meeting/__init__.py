"""The meeting: the schedule of briefings, the Jitsi room (JWT links, room state), reservations, invitations."""
