"""Demo of the evidence bundles: the auditor's bundle of each SLI year, built and checked at once.

Runs after the claim apps' demos (their letters and payments exist). For each financial year of
the SLI demo the auditor asks for the year's bundle, its job builds it as the worker would, and
the bundle is checked by `verify_bundle`'s own check: a mismatch stops the seed, since the demo
never offers an auditor a bundle that does not hold together. Idempotent: a year the auditor
already has a built bundle of is left alone.
"""

from __future__ import annotations

from beneficiaries.models import User
from incentives.evidence import services, verify
from incentives.evidence.models import BundleRun
from incentives.models import SanctionLetter
from repm_portal import jobs
from repm_portal.demo_clock import DEMO_AS_OF
from repm_portal.roles import Role


def seed() -> list[str]:
    auditor = User.objects.filter(username="auditor", role=Role.AUDITOR).first()
    if auditor is None:
        return ["evidence: no demo auditor, no bundle"]
    years = sorted(set(SanctionLetter.objects.values_list("financial_year", flat=True)))
    lines = []
    for year in years:
        run = BundleRun.objects.filter(
            financial_year=year, requested_by=auditor, built_at__isnull=False
        ).first()
        if run is None:
            run = services.request_bundle(actor=auditor, financial_year=year, now=DEMO_AS_OF)
            jobs.run(
                BundleRun.TASK, run.pk,
                lambda job, pk=run.pk: services.build_bundle(pk, progress=job.progress, now=DEMO_AS_OF),
            )  # fmt: skip
            run.refresh_from_db()
            if not run.is_built:
                raise RuntimeError(f"The evidence bundle of FY {year} was not built")
        with run.file.open("rb") as bundle:
            report = verify.check(bundle.read())
        if report.findings:
            shown = "; ".join(str(f) for f in report.findings[:5])
            raise RuntimeError(f"The evidence bundle of FY {year} does not verify: {shown}")
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(report.counts.items()))
        lines.append(f"evidence: bundle FY {year} ({run.size:,} bytes) verifies: {counts}")
    return lines or ["evidence: no sanction letter yet, no bundle"]
