"""Account e-mails."""

from shopapp.accounts import services
from shopapp.core.mail import TemporaryMailError
from worker.tasks.base import outbox_task


@outbox_task(services.WELCOME_TASK, retry_on=(TemporaryMailError,))
def send_welcome_email(user_id: int) -> None:
    services.send_welcome_email(user_id)


@outbox_task(services.RESET_TASK, retry_on=(TemporaryMailError,))
def send_password_reset(user_id: int) -> None:
    services.send_password_reset(user_id)


@outbox_task(services.CONFIRM_TASK, retry_on=(TemporaryMailError,))
def send_address_confirmation(user_id: int) -> None:
    services.send_address_confirmation(user_id)


@outbox_task(services.EMAIL_CHANGE_TASK, retry_on=(TemporaryMailError,))
def send_email_change(user_id: int, new_email: str) -> None:
    services.send_email_change(user_id, new_email)
