"""Roles, permissions and the principal a request acts as.

Deny by default: a principal may do exactly what its roles list; an account kind brings an
implicit role (a natural person is a citizen, a legal person an enterprise). Later modules add
their permissions here so one table answers "who may do what".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from zhuyun.core.errors import Forbidden
from zhuyun.core.ledger import SYSTEM, Actor


class AccountKind(StrEnum):
    PERSON = "person"
    LEGAL = "legal"
    STAFF = "staff"


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    DATA_ADMIN = "data_admin"
    CASE_HANDLER = "case_handler"
    SUPERVISOR = "supervisor"
    GRID_WORKER = "grid_worker"
    CITIZEN = "citizen"
    ENTERPRISE = "enterprise"


ROLE_LABELS_ZH: dict[Role, str] = {
    Role.PLATFORM_ADMIN: "平台管理员",
    Role.DATA_ADMIN: "数据管理员",
    Role.CASE_HANDLER: "业务经办人",
    Role.SUPERVISOR: "监督员",
    Role.GRID_WORKER: "网格员",
    Role.CITIZEN: "市民",
    Role.ENTERPRISE: "企业",
}

ACCOUNT_KIND_LABELS_ZH: dict[AccountKind, str] = {
    AccountKind.PERSON: "自然人",
    AccountKind.LEGAL: "法人",
    AccountKind.STAFF: "工作人员",
}

STAFF_ROLES = frozenset(
    {Role.PLATFORM_ADMIN, Role.DATA_ADMIN, Role.CASE_HANDLER, Role.SUPERVISOR, Role.GRID_WORKER}
)


class Permission(StrEnum):
    SELF = "self"  # see one's own profile, manage one's own tokens
    DASHBOARD_READ = "dashboard.read"
    UNITS_READ = "units.read"
    UNITS_MANAGE = "units.manage"
    ACCOUNTS_READ = "accounts.read"
    ACCOUNTS_MANAGE = "accounts.manage"
    LEDGER_READ = "ledger.read"
    LEDGER_VERIFY = "ledger.verify"
    CALENDAR_MANAGE = "calendar.manage"
    # the engine: catalog (一目录) and the sharing exchange
    CATALOG_READ = "catalog.read"  # browse and search the catalog
    CATALOG_MANAGE = "catalog.manage"  # draft and publish the own unit's resources
    SOURCES_MANAGE = "sources.manage"  # register and check the own unit's sources
    EXCHANGE_QUERY = "exchange.query"  # query shared resources for the own unit
    EXCHANGE_APPLY = "exchange.apply"  # apply for conditional resources for the own unit
    EXCHANGE_REVIEW = "exchange.review"  # review applications to the own unit's resources
    EXCHANGE_COORDINATE = "exchange.coordinate"  # the big-data bureau: escalations, all grants
    EXCHANGE_AUDIT = "exchange.audit"  # read every access log
    NODES_MANAGE = "exchange.nodes"  # approve, check and revoke department nodes (前置机)
    # 数据铁笼: the power-operation log and process mining
    SUPERVISION_READ = "supervision.read"  # export the ledger as event logs, mine processes
    SUPERVISION_IMPORT = "supervision.import"  # import other systems' event logs
    SUPERVISION_POWERS_READ = "supervision.powers.read"  # read the power list (权力清单)
    SUPERVISION_POWERS = "supervision.powers"  # keep the own unit's power list
    SUPERVISION_REPORT = "supervision.report"  # report power steps, explain one's own warnings
    SUPERVISION_WARNINGS = "supervision.warnings"  # rules, warnings, scores within the remit
    # 社会和云: grid governance
    GRIDS_READ = "grids.read"  # see the grids, their workers, locate a point or address
    GRIDS_MANAGE = "grids.manage"  # import grids and region polygons (GeoJSON)
    WORKORDERS_REPORT = "workorders.report"  # report a problem, follow and rate one's own orders
    WORKORDERS_READ = "workorders.read"  # staff: the orders one's unit or grids may see
    WORKORDERS_HANDLE = "workorders.handle"  # act on the orders assigned to one's own unit
    WORKORDERS_VERIFY = "workorders.verify"  # verify (核查) the orders of one's grids
    WORKORDERS_DISPATCH = "workorders.dispatch"  # the command centre: register, dispatch, all
    # 一网通办: electronic certificates (电子证照)
    CERTIFICATES_ISSUE = "certificates.issue"  # issue certificates in the own unit's name
    CERTIFICATES_REVOKE = "certificates.revoke"  # revoke the certificates the own unit issued
    BOARD_USE = "board.use"  # 社群通: post needs and offers, propose and confirm matches
    # 一网通办: one-stop online services
    SERVICES_APPLY = "services.apply"  # apply for services, track, pay, upload, rate one's own
    SERVICES_HANDLE = "services.handle"  # work the cases of one's own unit
    SERVICES_DASHBOARD = "services.dashboard"  # the unit's (or city's) figures and overdue cases
    SERVICES_MANAGE = "services.manage"  # publish service items and workflows
    # 块数据: fusion jobs and profiles
    BLOCKS_READ = "blocks.read"  # see profiles, within the own unit's grants and masking
    BLOCKS_MANAGE = "blocks.manage"  # declare and run the own unit's fusion jobs


PERMISSION_LABELS_ZH: dict[Permission, str] = {
    Permission.SELF: "个人中心与令牌",
    Permission.DASHBOARD_READ: "查看首页",
    Permission.UNITS_READ: "查看组织机构",
    Permission.UNITS_MANAGE: "管理组织机构",
    Permission.ACCOUNTS_READ: "查看账号",
    Permission.ACCOUNTS_MANAGE: "管理账号",
    Permission.LEDGER_READ: "查看审计台账",
    Permission.LEDGER_VERIFY: "校验哈希链",
    Permission.CALENDAR_MANAGE: "维护工作日历",
    Permission.CATALOG_READ: "查阅资源目录",
    Permission.CATALOG_MANAGE: "编目与发布本单位资源",
    Permission.SOURCES_MANAGE: "管理本单位数据源",
    Permission.EXCHANGE_QUERY: "调用共享数据",
    Permission.EXCHANGE_APPLY: "申请有条件共享",
    Permission.EXCHANGE_REVIEW: "审核共享申请",
    Permission.EXCHANGE_COORDINATE: "协调共享争议（大数据局）",
    Permission.EXCHANGE_AUDIT: "查阅数据访问日志",
    Permission.NODES_MANAGE: "管理前置机节点",
    Permission.SUPERVISION_READ: "导出权力运行日志与过程挖掘",
    Permission.SUPERVISION_IMPORT: "导入外部事件日志",
    Permission.SUPERVISION_POWERS_READ: "查阅权力清单",
    Permission.SUPERVISION_POWERS: "编制本单位权力清单",
    Permission.SUPERVISION_REPORT: "报送权力运行环节与说明预警",
    Permission.SUPERVISION_WARNINGS: "监督规则、预警处置与评价",
    Permission.GRIDS_READ: "查看网格",
    Permission.GRIDS_MANAGE: "导入与维护网格",
    Permission.WORKORDERS_REPORT: "反映问题与跟踪评价",
    Permission.WORKORDERS_READ: "查看工单",
    Permission.WORKORDERS_HANDLE: "办理本单位工单",
    Permission.WORKORDERS_VERIFY: "核查网格内工单",
    Permission.WORKORDERS_DISPATCH: "工单立案派遣（指挥中心）",
    Permission.CERTIFICATES_ISSUE: "签发本单位电子证照",
    Permission.CERTIFICATES_REVOKE: "注销本单位电子证照",
    Permission.BOARD_USE: "社群通供需发布与对接",
    Permission.SERVICES_APPLY: "申办政务服务",
    Permission.SERVICES_HANDLE: "办理本单位办件",
    Permission.SERVICES_DASHBOARD: "查看政务服务指标与超期办件",
    Permission.SERVICES_MANAGE: "管理政务服务事项与流程",
    Permission.BLOCKS_READ: "查看块数据档案",
    Permission.BLOCKS_MANAGE: "定义与运行本单位融合作业",
}

_EVERYONE = frozenset(
    {Permission.SELF, Permission.DASHBOARD_READ, Permission.WORKORDERS_REPORT, Permission.BOARD_USE}
)
_STAFF = _EVERYONE | {
    Permission.UNITS_READ,
    Permission.CATALOG_READ,
    Permission.GRIDS_READ,
    Permission.WORKORDERS_READ,
    Permission.SUPERVISION_POWERS_READ,
}
_DATA_ADMIN = {
    Permission.ACCOUNTS_READ,
    Permission.SERVICES_DASHBOARD,
    Permission.SERVICES_MANAGE,  # the own unit's service items and workflows
    Permission.CATALOG_MANAGE,
    Permission.SOURCES_MANAGE,
    Permission.EXCHANGE_QUERY,
    Permission.EXCHANGE_APPLY,
    Permission.EXCHANGE_REVIEW,
    Permission.BLOCKS_READ,
    Permission.BLOCKS_MANAGE,
    Permission.SUPERVISION_POWERS,
    Permission.SUPERVISION_REPORT,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PLATFORM_ADMIN: frozenset(Permission),
    Role.DATA_ADMIN: _STAFF | _DATA_ADMIN,
    Role.CASE_HANDLER: _STAFF
    | {
        Permission.EXCHANGE_QUERY,
        Permission.WORKORDERS_HANDLE,
        Permission.WORKORDERS_VERIFY,
        Permission.BLOCKS_READ,
        Permission.CERTIFICATES_ISSUE,
        Permission.CERTIFICATES_REVOKE,
        Permission.SERVICES_HANDLE,
        Permission.SERVICES_DASHBOARD,
        Permission.SUPERVISION_REPORT,
    },
    Role.SUPERVISOR: _STAFF
    | {
        Permission.LEDGER_READ,
        Permission.LEDGER_VERIFY,
        Permission.ACCOUNTS_READ,
        Permission.EXCHANGE_AUDIT,
        Permission.SUPERVISION_READ,
        Permission.SUPERVISION_IMPORT,
        Permission.SERVICES_DASHBOARD,
        Permission.SUPERVISION_WARNINGS,
    },
    Role.GRID_WORKER: _STAFF | {Permission.WORKORDERS_VERIFY},
    Role.CITIZEN: _EVERYONE | {Permission.SERVICES_APPLY},
    Role.ENTERPRISE: _EVERYONE | {Permission.SERVICES_APPLY},
}

IMPLICIT_ROLE: dict[AccountKind, Role | None] = {
    AccountKind.PERSON: Role.CITIZEN,
    AccountKind.LEGAL: Role.ENTERPRISE,
    AccountKind.STAFF: None,
}


@dataclass(frozen=True)
class RoleScope:
    role: Role
    unit_id: int | None


@dataclass(frozen=True)
class Principal:
    """The signed-in account as the permission check sees it."""

    account_id: int
    username: str
    display_name: str
    kind: AccountKind
    unit_id: int | None
    roles: frozenset[RoleScope] = field(default_factory=frozenset)
    via: str = "session"  # "session", "token", or "system" for the platform itself
    session_id: str | None = None
    token_id: int | None = None

    @property
    def role_names(self) -> frozenset[Role]:
        return frozenset(scope.role for scope in self.roles)

    @property
    def permissions(self) -> frozenset[Permission]:
        granted: set[Permission] = set()
        for role in self.role_names:
            granted |= ROLE_PERMISSIONS[role]
        return frozenset(granted)

    def can(self, permission: Permission | str) -> bool:
        return permission in self.permissions

    def has_role(self, role: Role, unit_id: int | None = None) -> bool:
        """Holds `role`; when `unit_id` is given, for that unit (a city-wide grant counts)."""
        return any(
            scope.role == role and (unit_id is None or scope.unit_id in (None, unit_id))
            for scope in self.roles
        )

    @property
    def primary_role(self) -> Role | None:
        order = list(Role)
        return min(self.role_names, key=order.index) if self.roles else None

    @property
    def account_ref(self) -> int | None:
        """The account to store as who decided something; None for the platform itself."""
        return None if self.via == "system" else self.account_id

    def as_actor(self) -> Actor:
        if self.via == "system":
            return SYSTEM
        if self.via == "public":
            return Actor(id=None, name=self.display_name)
        role = self.primary_role
        return Actor(
            id=self.account_id,
            name=self.display_name,
            unit_id=self.unit_id,
            role=role.value if role else None,
        )


SYSTEM_PRINCIPAL = Principal(
    account_id=0,
    username="system",
    display_name="system",
    kind=AccountKind.STAFF,
    unit_id=None,
    roles=frozenset({RoleScope(Role.PLATFORM_ADMIN, None)}),
    via="system",
)
"""The platform itself (the demo builder, scheduled jobs) acting with every permission."""


def account_scope(principal: Principal, unit_id: int | None) -> int | None:
    """Which unit's accounts a reader may list: a unit's data admin sees their own unit only;
    platform admins and supervisors see any (None = all)."""
    if principal.has_role(Role.PLATFORM_ADMIN) or principal.has_role(Role.SUPERVISOR):
        return unit_id
    if unit_id is not None and unit_id != principal.unit_id:
        raise Forbidden(
            "You may only see the accounts of your own unit.", "您只能查看本单位的账号。"
        )
    return principal.unit_id
