"""Association e-mails: shop team invitations and application decisions."""

from shopapp.association import services
from shopapp.core.mail import TemporaryMailError
from worker.tasks.base import outbox_task


@outbox_task(services.INVITATION_TASK, retry_on=(TemporaryMailError,))
def send_invitation(invitation_id: int) -> None:
    services.send_invitation_email(invitation_id)


@outbox_task(services.DECISION_TASK, retry_on=(TemporaryMailError,))
def send_decision(decision_id: int) -> None:
    services.send_decision_email(decision_id)
