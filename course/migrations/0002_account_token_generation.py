from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("course", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="token_generation",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="登录令牌代数"
            ),
        ),
    ]
