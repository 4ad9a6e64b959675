"""The demo's embedded Celery broker: kombu's filesystem transport, each message written atomically.

kombu's own `_put` creates the message file under its final name and then writes into it, so a worker
polling the folder can take a file that is still empty, fail to decode it and stop ("Unrecoverable
error: JSONDecodeError"); 16 shoppers checking out at once on the demo did that. Here a message is
written under a name the reader skips (it only takes `<…>.<queue>.msg`) and renamed into place in one
step, so the reader sees whole messages or nothing.
"""
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # The name kombu gives a message (its reader takes them in name order), then ".part" while written.
        final = os.path.join(self.data_folder_out, f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg")
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
