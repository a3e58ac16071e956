"""Login/logout and the public catalogue."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from course import selectors, services
from course.catalogue import catalogue, catalogue_course
from course.serializers import (
    AccountSerializer,
    CourseSerializer,
    LoginResultSerializer,
    LoginSerializer,
)
from utils.errors import AppError, Codes
from utils.response import ok
from utils.schema import ERROR_ENVELOPE, envelope
from utils.throttling import LoginRateThrottle, LoginUsernameThrottle


class LoginView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle, LoginUsernameThrottle]

    @extend_schema(
        request=LoginSerializer,
        responses={200: envelope("LoginEnvelope", LoginResultSerializer), 429: ERROR_ENVELOPE},
        auth=[],
    )
    def post(self, request):
        body = LoginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return ok(services.session_login(request=request._request, **body.validated_data))


class LogoutView(APIView):
    @extend_schema(request=None, responses={200: envelope("LogoutEnvelope")})
    def post(self, request):
        services.session_logout(token=request.auth)
        return ok()


class LogoutEverywhereView(APIView):
    """End every token of the caller's account (every device), this one included."""

    @extend_schema(request=None, responses={200: envelope("LogoutAllEnvelope")})
    def post(self, request):
        services.session_logout_everywhere(account=request.user, token=request.auth)
        return ok()


class AccountView(APIView):
    """Who is logged in and their 贝里, read fresh (the balance changes with payments)."""

    @extend_schema(responses={200: envelope("AccountEnvelope", AccountSerializer)})
    def get(self, request):
        return ok(selectors.account_summary(request.user))


class CourseListView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="courses_list",
        responses={200: envelope("CourseListEnvelope", CourseSerializer, many=True)},
    )
    def get(self, request):
        return ok(catalogue())


class CourseDetailView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: envelope("CourseEnvelope", CourseSerializer), 404: ERROR_ENVELOPE}
    )
    def get(self, request, pk: int):
        course = catalogue_course(pk)
        if course is None:
            raise AppError(Codes.NOT_FOUND, "课程不存在或未上线 / course not found")
        return ok(course)
