"""The locustfile's pieces that decide what is measured: the poll() check
that replaces geventhttpclient's select() one, and invite_delivery on first
offers of this run only."""

import importlib.util
import os
import socket
import unittest
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "locustfile", Path(__file__).resolve().parent.parent / "peers" / "locustfile.py")
locustfile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(locustfile)


class SocketCheck(unittest.TestCase):
    def test_idle_is_alive_and_closed_by_the_peer_is_not(self):
        ours, theirs = socket.socketpair()
        with ours:
            self.assertTrue(locustfile._is_socket_alive(None, ours))
            theirs.close()
            self.assertFalse(locustfile._is_socket_alive(None, ours))

    def test_descriptors_above_1024_are_checked_too(self):
        # select() raises ValueError on these, so geventhttpclient's own
        # check calls every such socket dead and opens a new connection.
        ours, theirs = socket.socketpair()
        sock = socket.socket(fileno=os.dup2(ours.fileno(), 1500))
        ours.close()
        with sock:
            self.assertEqual(sock.fileno(), 1500)
            self.assertTrue(locustfile._is_socket_alive(None, sock))
            theirs.close()
            self.assertFalse(locustfile._is_socket_alive(None, sock))


class Delivery(unittest.TestCase):
    def test_first_offer_of_this_run_only(self):
        ud = {"AgentloadRun": locustfile.RUN_ID, "AgentloadSeq": "9001", "AgentloadCreatedUs": "1000000"}
        self.assertEqual(locustfile.delivery_us(ud, 1_002_500), 2_500)
        self.assertIsNone(locustfile.delivery_us(ud, 1_009_000), "a re-offer is not a delivery")
        self.assertIsNone(locustfile.delivery_us({**ud, "AgentloadRun": "other", "AgentloadSeq": "9002"}, 5))
        self.assertIsNone(locustfile.delivery_us({**ud, "AgentloadSeq": "x"}, 5))
        self.assertIsNone(locustfile.delivery_us(None, 5))

    def test_the_email_form_carries_the_marker(self):
        form = locustfile.email_form(7, 1234)
        self.assertIn("userData%5BAgentloadSeq%5D=7", form)
        self.assertIn("userData%5BAgentloadCreatedUs%5D=1234", form)


if __name__ == "__main__":
    unittest.main()
