"""JSON API of subscriptions: a provider declares how a resource's changes are found; a
consumer unit subscribes, pulls or receives its changes, sees its lag, and cancels."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from zhuyun.core.calendar import china_today
from zhuyun.core.db import utcnow
from zhuyun.core.paging import Page, PageDep
from zhuyun.exchange.models import ChangeTracking, Subscription
from zhuyun.exchange.service import change_tracking, subscriptions
from zhuyun.identity.deps import Allowed, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal

router = APIRouter(prefix="/api/exchange", tags=["exchange 共享交换"])

IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
Managing = Annotated[Principal, Allowed(Permission.SOURCES_MANAGE)]
Querying = Annotated[Principal, Allowed(Permission.EXCHANGE_QUERY)]


class TrackingIn(BaseModel):
    field: str = Field(min_length=1, max_length=100, description="The column / 追踪字段")
    kind: change_tracking.TrackingKind = Field(
        description="updated_at: a modification time; key: a growing key / 更新时间或递增主键"
    )


class TrackingPublic(BaseModel):
    resource_id: int
    field: str
    kind: str
    declared_at: datetime


class SubscriptionCreate(BaseModel):
    resource_id: int = Field(ge=1, le=2_147_483_647)
    items: list[str] = Field(min_length=1, max_length=200)
    purpose: str = Field(max_length=500, description="Why you read it / 调用用途（必填）")
    mode: subscriptions.Mode = Field(description="webhook (pushed) or pull / 推送或拉取")
    webhook_url: str | None = Field(default=None, max_length=500)
    batch_rows: int = Field(default=subscriptions.DEFAULT_BATCH_ROWS, ge=1, le=1000)


class SubscriptionPublic(BaseModel):
    id: int
    resource_id: int
    consumer_unit_id: int
    items: list[str]
    purpose: str
    mode: str
    webhook_url: str | None
    batch_rows: int
    status: str
    status_reason: str | None
    deliveries: int = Field(description="Batches read so far / 已读取批次")
    pending: int = Field(description="Batches not yet delivered / 待投递批次")
    pending_rows: int
    lag_seconds: float = Field(description="Age of the oldest undelivered batch / 积压时长")
    checked_at: datetime | None
    last_error: str | None
    last_delivered_at: datetime | None
    created_at: datetime


class SubscriptionCreated(SubscriptionPublic):
    webhook_secret: str | None = Field(
        description="Verifies the webhook's signatures; shown once / 回调签名密钥，仅显示一次"
    )


class ChangeBatch(BaseModel):
    delivery_id: str
    seq: int
    created_at: datetime
    items: list[str]
    rows: list[list[Any]]
    masked: dict[str, str]
    basis: str


class ChangesOut(BaseModel):
    subscription_id: int
    deliveries: list[ChangeBatch]
    next_after: int | None = Field(description="Pass as `after` to confirm these / 确认序号")


def _key(settings: SettingsDep) -> str:
    return settings.secret_key.get_secret_value()


def _public(subscription: Subscription, lag: subscriptions.SubscriptionLag) -> dict[str, Any]:
    oldest = lag.oldest_pending_at
    return {
        "id": subscription.id,
        "resource_id": subscription.resource_id,
        "consumer_unit_id": subscription.consumer_unit_id,
        "items": subscription.items,
        "purpose": subscription.purpose,
        "mode": subscription.mode,
        "webhook_url": subscription.webhook_url,
        "batch_rows": subscription.batch_rows,
        "status": subscription.status,
        "status_reason": subscription.status_reason,
        "deliveries": subscription.next_seq - 1,
        "pending": lag.pending,
        "pending_rows": lag.pending_rows,
        "lag_seconds": round((utcnow() - oldest).total_seconds(), 1) if oldest else 0.0,
        "checked_at": subscription.checked_at,
        "last_error": subscription.last_error,
        "last_delivered_at": subscription.last_delivered_at,
        "created_at": subscription.created_at,
    }


def _one(session: SessionDep, subscription: Subscription) -> SubscriptionPublic:
    lag = subscriptions.lags(session, [subscription.id])[subscription.id]
    return SubscriptionPublic(**_public(subscription, lag))


@router.put(
    "/resources/{resource_id}/change-tracking",
    response_model=TrackingPublic,
    summary="Declare how a resource's changes are found / 声明资源变更追踪方式",
)
def declare_tracking(
    resource_id: IdPath,
    body: TrackingIn,
    principal: Managing,
    session: SessionDep,
    settings: SettingsDep,
) -> TrackingPublic:
    tracking: ChangeTracking = change_tracking.declare(
        session, principal, _key(settings), resource_id, body.field, body.kind
    )
    return TrackingPublic(resource_id=resource_id, field=tracking.field, kind=tracking.kind,
                          declared_at=tracking.declared_at)  # fmt: skip


@router.post(
    "/subscriptions",
    response_model=SubscriptionCreated,
    status_code=201,
    summary="Subscribe to a resource's changes / 订阅资源变更",
)
def subscribe(
    body: SubscriptionCreate,
    principal: Querying,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: Annotated[
        str,
        Header(
            min_length=8,
            max_length=100,
            description="The same key subscribes once / 幂等键，重复提交只订阅一次",
        ),
    ],
) -> SubscriptionCreated:
    draft = subscriptions.SubscriptionDraft(
        resource_id=body.resource_id,
        items=body.items,
        purpose=body.purpose,
        mode=body.mode,
        idempotency_key=idempotency_key,
        webhook_url=body.webhook_url,
        batch_rows=body.batch_rows,
    )
    subscription, secret, created = subscriptions.subscribe(
        session, principal, _key(settings), settings.source_host_list, draft, china_today()
    )
    if not created:
        response.status_code = 200
    public = _one(session, subscription)
    return SubscriptionCreated(**public.model_dump(), webhook_secret=secret)


@router.get(
    "/subscriptions",
    response_model=Page[SubscriptionPublic],
    summary="A unit's subscriptions with their lag / 本单位订阅及积压",
)
def list_subscriptions(
    principal: Querying,
    session: SessionDep,
    page: PageDep,
    unit_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Page[SubscriptionPublic]:
    rows, total = subscriptions.list_subscriptions(
        session, principal, unit_id, page.offset, page.limit
    )
    lags = subscriptions.lags(session, [s.id for s in rows])
    return Page.of([SubscriptionPublic(**_public(s, lags[s.id])) for s in rows], total, page)


@router.get(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionPublic,
    summary="A subscription / 订阅详情",
)
def get_subscription(
    subscription_id: IdPath, principal: Querying, session: SessionDep
) -> SubscriptionPublic:
    return _one(session, subscriptions.get_visible(session, principal, subscription_id))


@router.get(
    "/subscriptions/{subscription_id}/changes",
    response_model=ChangesOut,
    summary="Pull the next changes, confirming those up to `after` / 拉取变更",
)
def pull_changes(
    subscription_id: IdPath,
    principal: Querying,
    session: SessionDep,
    settings: SettingsDep,
    after: Annotated[
        int | None,
        Query(ge=0, le=2_147_483_647, description="The last seq you stored / 已保存的最大序号"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=20, description="Batches at most / 最多批次")] = 5,
) -> ChangesOut:
    subscription, batches = subscriptions.changes(
        session, principal, _key(settings), subscription_id, after, limit, china_today()
    )
    return ChangesOut(
        subscription_id=subscription.id,
        deliveries=[
            ChangeBatch(delivery_id=d.delivery_id, seq=d.seq, created_at=d.created_at, **payload)
            for d, payload in batches
        ],
        next_after=batches[-1][0].seq if batches else after,
    )


@router.post(
    "/subscriptions/{subscription_id}/cancel",
    response_model=SubscriptionPublic,
    summary="Cancel a subscription / 取消订阅",
)
def cancel(subscription_id: IdPath, principal: Querying, session: SessionDep) -> SubscriptionPublic:
    return _one(session, subscriptions.cancel(session, principal, subscription_id))


@router.post(
    "/subscriptions/{subscription_id}/resume",
    response_model=SubscriptionPublic,
    summary="Resume a suspended subscription / 恢复已暂停的订阅",
)
def resume(
    subscription_id: IdPath, principal: Querying, session: SessionDep, settings: SettingsDep
) -> SubscriptionPublic:
    subscription = subscriptions.resume(
        session, principal, _key(settings), subscription_id, china_today()
    )
    return _one(session, subscription)
