"""API request/response models for accounts."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shopapp.core.api import ApiModel


class TokenRequest(ApiModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=512)


class SignupRequest(ApiModel):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: str = Field(min_length=8, max_length=512)
    name: str = Field(min_length=1, max_length=120)
    locale: str = Field(default="fr", pattern=r"^(fr|en)$")


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    roles: list[str]
    locale: str


class TokenOut(BaseModel):
    token: str
    user: UserOut


class SignupOut(BaseModel):
    user: UserOut


def user_out(user: object) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)
