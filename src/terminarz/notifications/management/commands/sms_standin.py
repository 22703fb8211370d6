import time

from django.core.management.base import BaseCommand

from terminarz.notifications.smsapi_standin import serve


class Command(BaseCommand):
    help = "Run the local SMSAPI-style gateway stand-in (messages are printed, not sent)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument("--token", default="demo-token")

    def handle(self, *args, **options):
        server, state = serve(port=options["port"], token=options["token"])
        self.stdout.write(f"SMS stand-in at http://127.0.0.1:{options['port']}/sms.do (token {options['token']})")
        seen = 0
        try:
            while True:
                time.sleep(1)
                for item in state.sent[seen:]:
                    self.stdout.write(f"SMS {item['id']} ({len(item['message'])} znaków)")
                seen = len(state.sent)
        except KeyboardInterrupt:
            server.shutdown()
