import time

from django.core.management.base import BaseCommand

from terminarz.payments.standins.autopay import DEMO_SERVICE_ID, serve


class Command(BaseCommand):
    help = "Run the local Autopay online payments stand-in with the demo credentials (no money moves)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8032)
        parser.add_argument("--itn-url", default=None, help="where ITNs are posted (Autopay: set per service)")
        parser.add_argument("--return-url", default=None, help="default return address (a ReturnURL overrides it)")

    def handle(self, *args, **options):
        server, state = serve(
            host=options["host"], port=options["port"], itn_url=options["itn_url"], return_url=options["return_url"]
        )
        # Log lines never carry e-mail addresses (no queries or bodies are logged, and the
        # stand-in masks anything that looks like one).
        state.on_log = lambda line: self.stdout.write(line)
        self.stdout.write(f"Autopay stand-in at {state.base_url}/payment (ServiceID {DEMO_SERVICE_ID})")
        self.stdout.write(f"ITN -> {options['itn_url'] or '(brak adresu ITN)'}")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            server.shutdown()
