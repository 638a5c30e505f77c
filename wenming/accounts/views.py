from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext_lazy as _


class LoginForm(auth_forms.AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码错误。连续失败 5 次将锁定 15 分钟。"),
        "inactive": _("该账号已停用。"),
        "locked": _("该账号因连续登录失败已被临时锁定，请 15 分钟后再试或联系安全管理员。"),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "wenming_locked", False):
                raise forms.ValidationError(self.error_messages["locked"], code="locked") from None
            raise


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True
