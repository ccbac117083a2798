"""Demo data for ``lianshen serve --demo``: one user of every role and the sample package.

Everything is idempotent: a second start finds the users and the project and adds nothing.
The sample package goes through the same path as an upload (zip guards, storage, workflow,
audit, pipeline), so what a new user sees is what the platform really does.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_api import audit
from review_api.models import Organization, Project, User
from review_api.security import hash_password
from review_api.submissions import create_submission
from review_api.uploads import sha256_file, store_package
from tasks.stages import Runtime

__all__ = ["DEMO_PROJECT", "DEMO_USERS", "ensure_demo_users", "ensure_user", "load_demo"]

logger = logging.getLogger(__name__)

# username, real name, role, department, organisation (kind)
DEMO_USERS: tuple[tuple[str, str, str, str | None, str, str], ...] = (
    ("applicant", "王建设", "applicant", None, "示例建筑设计研究院有限公司", "firm"),
    ("reviewer-planning", "李规划", "reviewer", "planning", "自然资源和规划局", "department"),
    ("reviewer-architecture", "张建筑", "reviewer", "architecture", "住房和城乡建设局", "department"),
    ("reviewer-fire", "赵消防", "reviewer", "fire", "消防审查科", "department"),
    ("reviewer-civil_defence", "孙人防", "reviewer", "civil_defence", "人民防空办公室", "department"),
    ("reviewer-lightning", "周防雷", "reviewer", "lightning", "气象局防雷中心", "department"),
    ("bureau", "吴审批", "bureau", None, "行政审批服务局", "bureau"),
    ("supervisor", "郑监察", "supervisor", None, "电子监察室", "supervision"),
    ("admin", "陈管理", "admin", None, "平台运维中心", "admin"),
)
DEMO_PROJECT = "示例住宅楼项目（1# 高层住宅）"


def ensure_user(
    s: Session, username: str, real_name: str, role: str, department: str | None,
    org_name: str, org_kind: str, password_hash: str,
) -> User | None:
    """Create the user (and the organisation) unless the user name exists; None if it did."""
    if s.scalar(select(User).where(User.username == username)) is not None:
        return None
    org = s.scalar(select(Organization).where(Organization.name == org_name))
    if org is None:
        org = Organization(name=org_name, kind=org_kind, department=department)
        s.add(org)
        s.flush()
    u = User(
        username=username,
        real_name=real_name,
        password_hash=password_hash,
        role=role,
        department=department,
        organization_id=org.id,
    )
    s.add(u)
    s.flush()
    audit.record(s, None, "user.create", "user", u.id, after={"username": username, "role": role})
    return u


def ensure_demo_users(rt: Runtime, password: str) -> User:
    """Create the demo users that do not exist yet; returns the applicant."""
    pw = hash_password(password)
    with rt.db.session() as s:
        for row in DEMO_USERS:
            ensure_user(s, *row, password_hash=pw)
        applicant = s.scalar(select(User).where(User.username == "applicant"))
        assert applicant is not None
        return applicant


def load_demo(rt: Runtime, password: str) -> list[int]:
    """Users, and the sample package submitted once; returns drawing ids to process."""
    from samples import build_package

    applicant = ensure_demo_users(rt, password)
    with rt.db.session() as s:
        if s.scalar(select(Project).where(Project.name == DEMO_PROJECT)) is not None:
            return []
        project = Project(
            name=DEMO_PROJECT, organization_id=applicant.organization_id, created_by=applicant.id
        )
        s.add(project)
        s.flush()
        audit.record(s, applicant, "project.create", "project", project.id,
                     after={"name": DEMO_PROJECT})
        project_id = project.id
    tmp = Path(tempfile.mkdtemp(prefix="lianshen-demo-"))
    try:
        folder = tmp / "residential_tower"
        build_package(tmp, "residential_tower")
        archive = Path(shutil.make_archive(str(tmp / "package"), "zip", folder))
        stored = store_package(archive, sha256_file(archive), rt.storage)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _, ids = create_submission(rt, applicant, project_id, stored, "residential_tower.zip")
    logger.info("demo package submitted: %d drawings", len(ids))
    return ids
