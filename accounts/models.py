from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from shijiao.pii import EncryptedTextField, blind_index, mask_phone


class Role(models.TextChoices):
    STREET_ADMIN = "street_admin", _("街道管理员 / 驾驶舱操作员")
    STATION_OPERATOR = "station_operator", _("微型消防站值班员")
    GRID_WORKER = "grid_worker", _("网格员")
    INSPECTOR = "inspector", _("职能部门检查人员")
    PROPERTY_MANAGER = "property_manager", _("物业 / 公寓运营方")
    ENTERPRISE = "enterprise", _("企业")
    FIRE_SAFETY_PERSON = "fire_safety_person", _("消防责任人")
    RESIDENT = "resident", _("新市民")


class Department(models.TextChoices):
    POLICE = "police", _("公安派出所")
    FIRE = "fire", _("消防")
    MARKET = "market", _("市场监管")
    HEALTH = "health", _("卫生健康")
    URBAN = "urban", _("城市管理")


class User(AbstractUser):
    """Anyone who logs in: staff of every role, and residents from the mini-program."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.RESIDENT, db_index=True)
    department = models.CharField(
        _("职能部门"), max_length=16, choices=Department.choices, blank=True, help_text=_("仅职能部门检查人员填写")
    )
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args, **kwargs) -> None:
        self.phone_hash = blind_index(self.phone) if self.phone else ""
        super().save(*args, **kwargs)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def sees_whole_district(self) -> bool:
        return self.is_superuser or self.role in {Role.STREET_ADMIN, Role.INSPECTOR}

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or self.role in roles


class ReadPurpose(models.TextChoices):
    """Why someone reads a clear personal value: no purpose, no read (PIPL Art. 6); "other" needs a text."""

    REGISTRATION = "registration", _("办理居住登记或注销")
    PERMIT = "permit", _("审核居住证")
    CHECK_IN = "check_in", _("入住、退房核验身份")
    EMERGENCY = "emergency", _("紧急情况联系本人或紧急联系人")
    LAW_ENFORCEMENT = "law_enforcement", _("公安依法查询")
    CORRECTION = "correction", _("应本人要求更正信息")
    JOB_APPLICATION = "job_application", _("联系求职者 (本人投递的岗位)")
    OTHER = "other", _("其他 (须说明)")


class AuditEntry(models.Model):
    """One read of a clear personal value, or another act worth proving later."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=64)
    target_id = models.CharField(_("对象编号"), max_length=64, db_index=True)
    fields = models.CharField(_("字段"), max_length=255, blank=True)
    purpose = models.CharField(_("目的"), max_length=32, choices=ReadPurpose.choices, blank=True)
    reason = models.CharField(_("事由"), max_length=255, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target_type}#{self.target_id}"


class ApiToken(models.Model):
    """A mini-program / API session: an opaque access token and its refresh token, stored only as hashes."""

    class Method(models.TextChoices):
        WECHAT = "wechat", _("微信小程序登录")
        SMS = "sms", _("手机验证码登录")
        PASSWORD = "password", _("用户名密码登录")

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    access_hash = models.CharField(max_length=64, unique=True, editable=False)
    refresh_hash = models.CharField(max_length=64, unique=True, editable=False)
    method = models.CharField(_("登录方式"), max_length=16, choices=Method.choices)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    access_expires_at = models.DateTimeField(_("访问令牌到期"))
    refresh_expires_at = models.DateTimeField(_("刷新令牌到期"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("登录令牌")
        verbose_name_plural = _("登录令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.get_method_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class WeChatIdentity(models.Model):
    """The WeChat openid a resident logs in with; the session_key stays here, encrypted, never sent out."""

    user = models.OneToOneField(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="wechat")
    openid = models.CharField(_("openid"), max_length=64, unique=True)
    unionid = models.CharField(_("unionid"), max_length=64, blank=True, db_index=True)
    session_key = EncryptedTextField(_("会话密钥"), blank=True, default="")
    updated_at = models.DateTimeField(_("最近登录"), auto_now=True)

    class Meta:
        verbose_name = _("微信身份")
        verbose_name_plural = _("微信身份")

    def __str__(self) -> str:
        return f"{self.user} ({self.openid[:6]}…)"


class OneTimeCode(models.Model):
    """An SMS login code: only its keyed hash is kept; it expires and allows a few wrong guesses."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    sms_biz_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.phone_hash[:8]}… {self.created_at:%Y-%m-%d %H:%M:%S}"
