"""The one family of errors: what stops a command, with a Spanish message that says what to do.

A problem in one client's workbook is not an error: it is a ``Problem`` in that file's outcome,
and the batch goes on. An ``MspError`` is what the whole command cannot get past (a client list or
an earlier summary it cannot use, an output it cannot write, a message text or a server it cannot
use). The command line catches ``MspError`` in one place and prints its message.
"""

from __future__ import annotations

import errno
from pathlib import Path

_ERRNO_ES = {
    errno.ENOSPC: "no queda espacio en el disco",
    errno.EDQUOT: "se ha superado la cuota de disco",
    errno.EFBIG: "el archivo supera el tamaño máximo que admite el sistema",
    errno.EACCES: "no hay permiso para escribir ahí",
    errno.EPERM: "no hay permiso para escribir ahí",
    errno.EROFS: "el disco es de solo lectura",
    errno.ENOTDIR: "una parte de la ruta no es una carpeta",
    errno.EISDIR: "es una carpeta",
    errno.ENOENT: "la ruta no existe",
    errno.ENAMETOOLONG: "el nombre es demasiado largo",
}


def describe_os_error(err: OSError) -> str:
    """Why a file operation failed, in Spanish for the common cases."""
    if err.errno in _ERRNO_ES:
        return _ERRNO_ES[err.errno]
    return err.strerror or type(err).__name__


class MspError(Exception):
    """Base of every error the user can act on; ``str(err)`` is the Spanish message."""


class UsageError(MspError):
    """The command was asked for something it cannot do (results written into an input folder,
    a client list or an earlier summary that cannot be used): fix the command and run it again."""


class ClientListError(UsageError):
    """A client list with problems; the message lists every one of them."""


class RoundError(UsageError):
    """An earlier round's summary that cannot be used."""


class OutputError(MspError):
    """An output could not be written (permissions, full disk…): the run cannot go on."""

    @classmethod
    def writing(cls, target: Path, err: OSError) -> OutputError:
        return cls(f"No se pudo escribir {target}: {describe_os_error(err)}.")


class CampaignError(MspError):
    """A message text, sender, drafts folder or mail server that cannot be used."""
