"""Association e-mails: shop team invitations and application decisions."""

from shopapp.association import applications, team
from shopapp.core.mail import TemporaryMailError
from worker.tasks.base import outbox_task


@outbox_task(team.INVITATION_TASK, retry_on=(TemporaryMailError,))
def send_invitation(invitation_id: int) -> None:
    team.send_invitation_email(invitation_id)


@outbox_task(applications.DECISION_TASK, retry_on=(TemporaryMailError,))
def send_decision(decision_id: int) -> None:
    applications.send_decision_email(decision_id)
