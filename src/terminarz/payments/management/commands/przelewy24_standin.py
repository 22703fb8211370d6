import time

from django.core.management.base import BaseCommand

from terminarz.payments.standins.przelewy24 import DEMO_MERCHANT_ID, DEMO_POS_ID, serve


class Command(BaseCommand):
    help = "Run the local Przelewy24 REST API v1 stand-in with the demo credentials (no money moves)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8031)

    def handle(self, *args, **options):
        server, state = serve(host=options["host"], port=options["port"])
        # Log lines never carry e-mail addresses (the stand-in masks them and logs no bodies).
        state.on_log = lambda line: self.stdout.write(line)
        self.stdout.write(
            f"Przelewy24 stand-in at {state.base_url} (merchantId {DEMO_MERCHANT_ID}, posId {DEMO_POS_ID})"
        )
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            server.shutdown()
